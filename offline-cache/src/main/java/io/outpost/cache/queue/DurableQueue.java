package io.outpost.cache.queue;

import io.outpost.cache.store.DurableMap;
import io.outpost.cache.store.DurableStore;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * A durable FIFO of byte arrays inside a {@link DurableStore}, bounded by bytes, with group commit:
 * {@link #appendAll} writes a whole batch (and whatever else the caller writes alongside) in one
 * transaction, so one fsync covers many entries. Entries stay until {@link #removeAll} removes them
 * (for store-and-forward: when the receiver has confirmed them), so they survive restarts and
 * {@code kill -9}.
 *
 * <p>Overflow policy: when an append would take the queue over its byte budget, the oldest entries
 * are dropped (in the same transaction) until the new ones fit, and {@link #dropped()} counts them.
 * Edge data is about the present: losing the oldest readings beats refusing the newest, and a full
 * queue must never stall the producer (an MQTT broker that is not acked stops delivering to every
 * topic).
 *
 * <pre>{@code
 * DurableQueue queue = new DurableQueue(store, "uplink", 64L << 20);
 * queue.appendAll(List.of(a, b), s -> s.map("seqs").put("dev-1", seqBytes)); // one commit
 * for (DurableQueue.Entry e : queue.read(0, 500, 1 << 20)) send(e);
 * queue.removeAll(List.of(firstPosition, secondPosition));                   // once confirmed
 * }</pre>
 *
 * <p>Only positions and sizes are kept in memory; values are read from the store on {@link #read}.
 * Thread-safe.
 */
public final class DurableQueue {

  /** One queued value and its position (increasing in append order, never reused). */
  public record Entry(long position, byte[] value) {}

  private static final String NEXT_KEY = "next";
  private static final String DROPPED_KEY = "dropped";

  private final DurableStore store;
  private final DurableMap entries;
  private final DurableMap meta;
  private final long maxBytes;
  /** position → value size; guarded by this. */
  private final NavigableMap<Long, Integer> index = new TreeMap<>();
  private long bytes;
  private long next;
  private long dropped;

  /**
   * Opens (or creates) the queue {@code name} in {@code store}: maps {@code NAME.q} and
   * {@code NAME.meta}.
   *
   * @param maxBytes the byte budget of all queued values together (&gt; 0)
   */
  public DurableQueue(DurableStore store, String name, long maxBytes) {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("maxBytes: " + maxBytes + " (expected: > 0)");
    }
    this.store = Objects.requireNonNull(store, "store");
    this.entries = store.map(name + ".q");
    this.meta = store.map(name + ".meta");
    this.maxBytes = maxBytes;
    entries.forEach((key, value) -> {
      index.put(Long.parseLong(key), value.length);
      bytes += value.length;
    });
    next = Math.max(meta.get(NEXT_KEY).map(DurableQueue::toLong).orElse(1L), index.isEmpty() ? 1 : index.lastKey() + 1);
    dropped = meta.get(DROPPED_KEY).map(DurableQueue::toLong).orElse(0L);
  }

  /**
   * Appends {@code values} in order and runs {@code alongside} in the same transaction (one commit
   * for all). Returns the positions given to the values. If the transaction fails nothing is
   * appended and the exception is rethrown.
   *
   * @throws IllegalArgumentException if one value alone is larger than the byte budget
   */
  public synchronized List<Long> appendAll(List<byte[]> values, Consumer<DurableStore> alongside) {
    long incoming = 0;
    for (byte[] value : values) {
      if (value.length > maxBytes) {
        throw new IllegalArgumentException("queue entry of " + value.length + " bytes: larger than the queue's"
            + " whole budget of " + maxBytes + " bytes");
      }
      incoming += value.length;
    }
    // Decide what to drop before writing, so memory and disk change together after the commit.
    List<Long> evicted = new ArrayList<>();
    long freed = 0;
    for (Map.Entry<Long, Integer> oldest : index.entrySet()) {
      if (bytes - freed + incoming <= maxBytes) {
        break;
      }
      evicted.add(oldest.getKey());
      freed += oldest.getValue();
    }
    // A batch bigger than the budget drops its own first entries too.
    int skipped = 0;
    long kept = incoming;
    while (kept > maxBytes) {
      kept -= values.get(skipped++).length;
    }
    List<Long> positions = new ArrayList<>(values.size());
    long first = next;
    int skip = skipped;
    store.transaction(() -> {
      for (Long position : evicted) {
        entries.remove(key(position));
      }
      for (int i = skip; i < values.size(); i++) {
        entries.put(key(first + i), values.get(i));
      }
      meta.put(NEXT_KEY, toBytes(first + values.size()));
      if (!evicted.isEmpty() || skip > 0) {
        meta.put(DROPPED_KEY, toBytes(dropped + evicted.size() + skip));
      }
      alongside.accept(store);
    });
    for (Long position : evicted) {
      index.remove(position);
    }
    bytes -= freed;
    for (int i = 0; i < values.size(); i++) {
      positions.add(first + i);
      if (i >= skipped) {
        index.put(first + i, values.get(i).length);
        bytes += values.get(i).length;
      }
    }
    next = first + values.size();
    dropped += evicted.size() + skipped;
    return positions;
  }

  /**
   * Up to {@code maxEntries} entries after position {@code after}, oldest first, stopping before
   * {@code maxBytes} would be exceeded (but always at least one entry if there is one).
   */
  public List<Entry> read(long after, int maxEntries, long maxBytes) {
    List<Long> positions = new ArrayList<>();
    synchronized (this) {
      long total = 0;
      for (Map.Entry<Long, Integer> e : index.tailMap(after, false).entrySet()) {
        if (positions.size() >= maxEntries || (!positions.isEmpty() && total + e.getValue() > maxBytes)) {
          break;
        }
        positions.add(e.getKey());
        total += e.getValue();
      }
    }
    List<Entry> out = new ArrayList<>(positions.size());
    for (Long position : positions) {
      // Removed meanwhile (confirmed or dropped): skip it.
      entries.get(key(position)).ifPresent(value -> out.add(new Entry(position, value)));
    }
    return out;
  }

  /** Removes the entries at {@code positions} in one commit; unknown positions are ignored. Returns how many. */
  public synchronized int removeAll(Collection<Long> positions) {
    List<Long> present = positions.stream().filter(index::containsKey).toList();
    if (present.isEmpty()) {
      return 0;
    }
    store.transaction(() -> present.forEach(p -> entries.remove(key(p))));
    for (Long position : present) {
      bytes -= index.remove(position);
    }
    return present.size();
  }

  public synchronized int size() {
    return index.size();
  }

  /** Bytes of all queued values. */
  public synchronized long bytes() {
    return bytes;
  }

  public long maxBytes() {
    return maxBytes;
  }

  /** Entries dropped by the overflow policy since the queue was created (survives restarts). */
  public synchronized long dropped() {
    return dropped;
  }

  private static String key(long position) {
    // Zero-padded so the store's string order is the queue order.
    return String.format("%019d", position);
  }

  private static byte[] toBytes(long value) {
    return ByteBuffer.allocate(8).putLong(value).array();
  }

  private static long toLong(byte[] bytes) {
    return ByteBuffer.wrap(bytes).getLong();
  }
}
