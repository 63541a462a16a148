package io.outpost.tunnel;

import java.time.Duration;

/**
 * Limits that protect both ends of the tunnel. Both are reported to the user when hit: an
 * oversized gRPC message fails with RESOURCE_EXHAUSTED naming the limit, and an exchange over the
 * per-agent concurrency limit is refused with HTTP 429 naming the cluster and the limit.
 *
 * @param maxMessageBytes largest single gRPC message either end accepts
 * @param maxConcurrentExchanges exchanges (requests, watches, log streams) in flight per agent
 * @param attachTimeout how long the hub waits for an agent to open the stream of an exchange
 */
public record TunnelLimits(int maxMessageBytes, int maxConcurrentExchanges, Duration attachTimeout) {

  public static final int DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
  public static final int DEFAULT_MAX_CONCURRENT_EXCHANGES = 256;
  public static final Duration DEFAULT_ATTACH_TIMEOUT = Duration.ofSeconds(10);

  /**
   * Chunk size every hub and agent accepts, whatever its message limit: the floor of {@link
   * #maxMessageBytes}, used for request bodies and by agents talking to a hub that does not
   * advertise {@link #chunkBytes()}.
   */
  public static final int CHUNK_BYTES = 64 * 1024;

  /**
   * The largest chunk worth sending. Every message costs framing, a flow-control update, a flush and
   * a hand-off at each hop, so a large body crosses cheaper in fewer messages; beyond this, the
   * gain is gone and a stalled exchange would just park more bytes.
   */
  public static final int MAX_CHUNK_BYTES = 256 * 1024;

  public TunnelLimits {
    if (maxMessageBytes < CHUNK_BYTES + 1024) {
      throw new IllegalArgumentException(
          "maxMessageBytes: " + maxMessageBytes + " (expected: >= " + (CHUNK_BYTES + 1024) + ")");
    }
    if (maxConcurrentExchanges < 1) {
      throw new IllegalArgumentException(
          "maxConcurrentExchanges: " + maxConcurrentExchanges + " (expected: >= 1)");
    }
    if (attachTimeout.isNegative() || attachTimeout.isZero()) {
      throw new IllegalArgumentException("attachTimeout: " + attachTimeout + " (expected: > 0)");
    }
  }

  /** The largest body chunk this end takes in one frame: what the hub advertises to its agents. */
  public int chunkBytes() {
    return Math.min(MAX_CHUNK_BYTES, maxMessageBytes - 1024);
  }

  public static TunnelLimits defaults() {
    return new TunnelLimits(
        DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_CONCURRENT_EXCHANGES, DEFAULT_ATTACH_TIMEOUT);
  }
}
