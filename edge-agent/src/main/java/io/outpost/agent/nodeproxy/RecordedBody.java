package io.outpost.agent.nodeproxy;

import java.util.ArrayList;
import java.util.List;

/**
 * The bytes of one forwarded answer kept for the cache, up to a cap: the chunks exactly as they were
 * forwarded (no copy while the answer streams), joined once at the end. A growing
 * {@code ByteArrayOutputStream} held up to twice the answer while it grew (its array doubles and is
 * copied) and then copied it again: for a 5 MB LIST some 13 MB of heap instead of 5. Past the cap the
 * chunks are dropped and the answer is forwarded without being cached.
 *
 * <pre>{@code
 * RecordedBody whole = new RecordedBody(maxRecordedBodyBytes);
 * whole.add(chunk);                    // for each chunk forwarded
 * if (!whole.tooBig()) record(whole.bytes());
 * }</pre>
 *
 * <p>Chunks are added by one thread at a time (the HTTP client's, in order) and read once the answer
 * is complete; the caller must not change a chunk after adding it.
 */
final class RecordedBody {

  private final int maxBytes;
  private List<byte[]> chunks = new ArrayList<>();
  private int size;
  private boolean tooBig;

  RecordedBody(int maxBytes) {
    this.maxBytes = maxBytes;
  }

  void add(byte[] chunk) {
    if (tooBig || chunk.length == 0) {
      return;
    }
    if (chunk.length > maxBytes - size) {
      tooBig = true;
      chunks = null;
      return;
    }
    chunks.add(chunk);
    size += chunk.length;
  }

  /** Whether the answer passed the cap: it was forwarded, but nothing of it is kept. */
  boolean tooBig() {
    return tooBig;
  }

  /** The whole answer, once; the chunks are released so that only one copy stays reachable. */
  byte[] bytes() {
    if (tooBig) {
      throw new IllegalStateException("the answer was larger than " + maxBytes + " bytes and was not kept");
    }
    byte[] whole = chunks.size() == 1 ? chunks.get(0) : new byte[size];
    if (chunks.size() != 1) {
      int at = 0;
      for (byte[] chunk : chunks) {
        System.arraycopy(chunk, 0, whole, at, chunk.length);
        at += chunk.length;
      }
    }
    chunks = List.of();
    size = 0;
    return whole;
  }
}
