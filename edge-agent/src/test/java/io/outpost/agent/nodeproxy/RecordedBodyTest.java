package io.outpost.agent.nodeproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The kept copy of a forwarded answer: chunks joined in order up to the cap, nothing past it. */
class RecordedBodyTest {

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void givenChunksWithinTheCap_whenJoined_thenTheAnswerIsTheirConcatenationInOrder() {
    RecordedBody body = new RecordedBody(13); // exactly the answer's size: at the cap is within it
    body.add(bytes("{\"a\""));
    body.add(new byte[0]);
    body.add(bytes(":1,"));
    body.add(bytes("\"b\":2}"));
    assertFalse(body.tooBig());
    assertEquals("{\"a\":1,\"b\":2}", new String(body.bytes(), StandardCharsets.UTF_8));
  }

  @Test
  void givenOneChunk_whenJoined_thenItIsReturnedWithoutACopy() {
    byte[] only = bytes("{}");
    RecordedBody body = new RecordedBody(2);
    body.add(only);
    assertSame(only, body.bytes());
  }

  @Test
  void givenChunksPastTheCap_whenAdded_thenTheBodyIsTooBigAndNothingIsKept() {
    RecordedBody body = new RecordedBody(4);
    body.add(bytes("abc"));
    body.add(bytes("de"));
    body.add(bytes("f"));
    assertTrue(body.tooBig());
    IllegalStateException e = assertThrows(IllegalStateException.class, body::bytes);
    assertEquals("the answer was larger than 4 bytes and was not kept", e.getMessage());
  }
}
