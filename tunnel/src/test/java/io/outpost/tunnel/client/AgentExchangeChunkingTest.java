package io.outpost.tunnel.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.stub.ClientCallStreamObserver;
import io.outpost.tunnel.TunnelLimits;
import io.outpost.tunnel.proto.ExchangeFrame;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How the agent cuts a response body into tunnel messages: an HTTP client reading an HTTPS
 * apiserver hands over one 16 KiB TLS record at a time, and those must cross as 64 KiB chunks,
 * while a trickle (a watch event) must not wait for more and a large read goes out as it is.
 */
class AgentExchangeChunkingTest {

  private static final int RECORD = 16 * 1024;

  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final RecordingStream stream = new RecordingStream();
  private final AgentExchange exchange = exchange(TunnelLimits.CHUNK_BYTES, stream);

  private AgentExchange exchange(int chunkBytes, RecordingStream into) {
    AgentExchange made = new AgentExchange("x-1", false, 1 << 20, chunkBytes, timer, () -> { });
    made.beforeStart(into);
    made.respond(200, Map.of());
    return made;
  }

  @AfterEach
  void stopTimer() {
    timer.shutdownNow();
  }

  @Test
  void givenTlsRecordsOneAtATime_whenSent_thenTheyCrossAsFullChunksAndTheRestBeforeTheEnd() {
    // Hold the timer so that no linger flush (2 ms) can cut the burst on a slow machine.
    CountDownLatch release = new CountDownLatch(1);
    timer.execute(() -> awaitQuietly(release));
    for (int i = 0; i < 9; i++) {
      exchange.send(ByteBuffer.wrap(filled(RECORD, i)));
    }
    exchange.end();
    release.countDown();

    assertEquals(List.of(TunnelLimits.CHUNK_BYTES, TunnelLimits.CHUNK_BYTES, RECORD), stream.chunkSizes());
    assertEquals(ExchangeFrame.BodyCase.END, stream.frames.get(stream.frames.size() - 1).getBodyCase());
    byte[] all = new byte[0];
    for (ExchangeFrame frame : stream.frames) {
      if (frame.hasChunk()) {
        all = concat(all, frame.getChunk().toByteArray());
      }
    }
    for (int i = 0; i < 9; i++) {
      assertEquals((byte) i, all[i * RECORD], "record " + i + " in order");
    }
  }

  @Test
  void givenAHubThatTakesLargerChunks_whenPlainHttpReadsStream_thenTheyArePackedToItsChunkSize() {
    RecordingStream large = new RecordingStream();
    AgentExchange packing = exchange(TunnelLimits.MAX_CHUNK_BYTES, large);
    CountDownLatch release = new CountDownLatch(1);
    timer.execute(() -> awaitQuietly(release));
    for (int i = 0; i < 9; i++) {
      packing.send(ByteBuffer.wrap(filled(TunnelLimits.CHUNK_BYTES, i)));
    }
    packing.end();
    release.countDown();

    assertEquals(List.of(TunnelLimits.MAX_CHUNK_BYTES, TunnelLimits.MAX_CHUNK_BYTES, TunnelLimits.CHUNK_BYTES),
        large.chunkSizes());
  }

  @Test
  void givenTheWelcomesAdvertisedChunk_thenTheAgentKeepsToIt_andToTheOldSizeForHubsThatSayNothing() {
    assertEquals(TunnelLimits.CHUNK_BYTES, TunnelClient.chunkBytes(0), "a hub older than the field");
    assertEquals(200 * 1024, TunnelClient.chunkBytes(200 * 1024));
    assertEquals(TunnelLimits.MAX_CHUNK_BYTES, TunnelClient.chunkBytes(8 << 20), "never above the agent's ceiling");
  }

  @Test
  void givenASmallBuffer_whenSent_thenItGoesOutAtOnce() {
    exchange.send(ByteBuffer.wrap(filled(300, 7)));

    assertEquals(List.of(300), stream.chunkSizes());
  }

  @Test
  void givenLargeReads_whenSent_thenEachGoesOutAtOnceWithoutSplittingTheNext() {
    exchange.send(ByteBuffer.wrap(filled(60_000, 1)));
    exchange.send(ByteBuffer.wrap(filled(65_536, 2)));

    assertEquals(List.of(60_000, 65_536), stream.chunkSizes());
  }

  @Test
  void givenAFullRecordFollowedBySilence_whenTheLingerHasPassed_thenItIsSentWithoutWaitingForTheEnd() {
    exchange.send(ByteBuffer.wrap(filled(RECORD, 1)));

    await().atMost(Duration.ofSeconds(2)).until(() -> stream.chunkSizes().equals(List.of(RECORD)));
    assertTrue(stream.frames.stream().noneMatch(f -> f.getBodyCase() == ExchangeFrame.BodyCase.END));
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static byte[] filled(int size, int value) {
    byte[] bytes = new byte[size];
    java.util.Arrays.fill(bytes, (byte) value);
    return bytes;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** The gRPC request stream, reduced to what the exchange writes into it. */
  private static final class RecordingStream extends ClientCallStreamObserver<ExchangeFrame> {
    final List<ExchangeFrame> frames = new CopyOnWriteArrayList<>();

    List<Integer> chunkSizes() {
      return frames.stream().filter(ExchangeFrame::hasChunk).map(f -> f.getChunk().size()).toList();
    }

    @Override
    public void onNext(ExchangeFrame value) {
      frames.add(value);
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}

    @Override
    public void cancel(String message, Throwable cause) {}

    @Override
    public boolean isReady() {
      return true;
    }

    @Override
    public void setOnReadyHandler(Runnable onReadyHandler) {}

    @Override
    public void disableAutoInboundFlowControl() {}

    @Override
    public void request(int count) {}

    @Override
    public void setMessageCompression(boolean enable) {}
  }
}
