package io.outpost.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class TunnelLimitsTest {

  @Test
  void givenTheDefaultMessageLimit_thenTheHubAdvertisesTheLargestChunk() {
    assertEquals(TunnelLimits.MAX_CHUNK_BYTES, TunnelLimits.defaults().chunkBytes());
  }

  @Test
  void givenASmallMessageLimit_thenChunksStayBelowItWithRoomForTheFrame() {
    assertEquals(200 * 1024 - 1024, limits(200 * 1024).chunkBytes());
    assertEquals(TunnelLimits.CHUNK_BYTES, limits(TunnelLimits.CHUNK_BYTES + 1024).chunkBytes());
  }

  @Test
  void givenAMessageLimitBelowOneChunk_thenTheErrorNamesTheFloor() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> limits(32 * 1024));
    assertTrue(e.getMessage().contains("expected: >= " + (TunnelLimits.CHUNK_BYTES + 1024)), e::getMessage);
  }

  private static TunnelLimits limits(int maxMessageBytes) {
    return new TunnelLimits(maxMessageBytes, 8, Duration.ofSeconds(1));
  }
}
