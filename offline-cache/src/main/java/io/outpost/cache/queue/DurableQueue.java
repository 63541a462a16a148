package io.outpost.cache.queue;

import io.outpost.cache.store.DurableMap;
import io.outpost.cache.store.DurableStore;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * A durable FIFO of byte arrays inside a {@link DurableStore}, bounded by bytes, with group commit:
 * {@link #appendAll} writes a whole batch as one record (a segment), together with whatever the
 * caller writes alongside, in one transaction, so one fsync and one store write cover many entries.
 * Entries stay until {@link #removeAll} removes them (for store-and-forward: when the receiver has
 * confirmed them), so they survive restarts and {@code kill -9}.
 *
 * <p>Delivery is at-least-once: a segment leaves the store when all its entries are removed;
 * removals inside a segment are kept in memory only, so after a restart the not yet removed
 * segment comes back whole, and the receiver sees again what it had already confirmed (it must
 * drop duplicates, e.g. by a sequence number in the value).
 *
 * <p>Overflow policy: when an append would take the queue over its byte budget, the oldest
 * segments are dropped (in the same transaction) until the new one fits, and {@link #dropped()}
 * counts the entries lost. Edge data is about the present: losing the oldest readings beats
 * refusing the newest, and a full queue must never stall the producer (an MQTT broker that is not
 * acked stops delivering to every topic).
 *
 * <pre>{@code
 * DurableQueue queue = new DurableQueue(store, "uplink", 64L << 20);
 * queue.appendAll(List.of(a, b), s -> s.map("seqs").put("dev-1", seqBytes)); // one commit
 * for (DurableQueue.Entry e : queue.read(0, 500, 1 << 20)) send(e);
 * queue.removeAll(List.of(firstPosition, secondPosition));                   // once confirmed
 * }</pre>
 *
 * <p>Segment sizes and removal marks are kept in memory; values are read from the store on
 * {@link #read} (the last few segments read are cached). Thread-safe.
 */
public final class DurableQueue {

  /** One queued value and its position (increasing in append order, never reused). */
  public record Entry(long position, byte[] value) {}

  private static final String NEXT_KEY = "next";
  private static final String DROPPED_KEY = "dropped";
  private static final int CACHED_SEGMENTS = 8;

  /** One appended batch: positions first .. first+count-1, stored as one record. */
  private static final class Segment {
    final long first;
    final int count;
    final long bytes;
    final BitSet removed = new BitSet();
    int live;

    Segment(long first, int count, long bytes) {
      this.first = first;
      this.count = count;
      this.bytes = bytes;
      this.live = count;
    }

    long last() {
      return first + count - 1;
    }
  }

  private final DurableStore store;
  private final DurableMap segments;
  private final DurableMap meta;
  private final long maxBytes;
  /** first position → segment; guarded by this. */
  private final NavigableMap<Long, Segment> index = new TreeMap<>();
  /** Recently read segments, decoded; guarded by this. */
  private final Map<Long, List<byte[]>> cache = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Long, List<byte[]>> eldest) {
      return size() > CACHED_SEGMENTS;
    }
  };
  private long bytes;
  private int size;
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
    this.segments = store.map(name + ".q");
    this.meta = store.map(name + ".meta");
    this.maxBytes = maxBytes;
    segments.forEach((key, value) -> {
      Segment s = new Segment(Long.parseLong(key), ByteBuffer.wrap(value).getInt(0), payloadBytes(value));
      index.put(s.first, s);
      bytes += s.bytes;
      size += s.count;
    });
    long afterLast = index.isEmpty() ? 1 : index.lastEntry().getValue().last() + 1;
    next = Math.max(meta.get(NEXT_KEY).map(DurableQueue::toLong).orElse(1L), afterLast);
    dropped = meta.get(DROPPED_KEY).map(DurableQueue::toLong).orElse(0L);
  }

  /**
   * Appends {@code values} in order, as one segment, and runs {@code alongside} in the same
   * transaction (one commit for all). Returns the positions given to the values. If the
   * transaction fails nothing is appended and the exception is rethrown.
   *
   * @throws IllegalArgumentException if the values together are larger than the byte budget
   */
  public List<Long> appendAll(List<byte[]> values, Consumer<DurableStore> alongside) {
    return appendAll(values, alongside, dropped -> { });
  }

  /**
   * As {@link #appendAll(List, Consumer)}, and hands the values the overflow policy drops to make
   * room (entries not yet removed, oldest first) to {@code dropping}, inside the same transaction:
   * a caller can record what was lost together with the loss.
   */
  public synchronized List<Long> appendAll(List<byte[]> values, Consumer<DurableStore> alongside,
      Consumer<List<byte[]>> dropping) {
    long incoming = 0;
    for (byte[] value : values) {
      incoming += value.length;
    }
    if (incoming > maxBytes) {
      throw new IllegalArgumentException("queue entries of " + incoming + " bytes: larger than the queue's"
          + " whole budget of " + maxBytes + " bytes");
    }
    // Decide what to drop before writing, so memory and disk change together after the commit.
    List<Segment> evicted = new ArrayList<>();
    long freed = 0;
    for (Segment oldest : index.values()) {
      if (bytes - freed + incoming <= maxBytes) {
        break;
      }
      evicted.add(oldest);
      freed += oldest.bytes;
    }
    long first = next;
    int lost = evicted.stream().mapToInt(s -> s.live).sum();
    byte[] record = values.isEmpty() ? null : encode(values);
    List<byte[]> lostValues = new ArrayList<>();
    for (Segment s : evicted) {
      List<byte[]> segmentValues = values(s);
      for (int i = 0; i < s.count; i++) {
        if (!s.removed.get(i)) {
          lostValues.add(segmentValues.get(i));
        }
      }
    }
    store.transaction(() -> {
      for (Segment s : evicted) {
        segments.remove(key(s.first));
      }
      if (!lostValues.isEmpty()) {
        dropping.accept(lostValues);
      }
      if (record != null) {
        segments.put(key(first), record);
      }
      meta.put(NEXT_KEY, toBytes(first + values.size()));
      if (lost > 0) {
        meta.put(DROPPED_KEY, toBytes(dropped + lost));
      }
      alongside.accept(store);
    });
    for (Segment s : evicted) {
      index.remove(s.first);
      cache.remove(s.first);
      size -= s.live;
    }
    bytes -= freed;
    dropped += lost;
    if (record != null) {
      index.put(first, new Segment(first, values.size(), incoming));
      cache.put(first, List.copyOf(values));
      bytes += incoming;
      size += values.size();
    }
    next = first + values.size();
    List<Long> positions = new ArrayList<>(values.size());
    for (int i = 0; i < values.size(); i++) {
      positions.add(first + i);
    }
    return positions;
  }

  /**
   * Up to {@code maxEntries} entries after position {@code after}, oldest first, stopping before
   * {@code maxBytes} would be exceeded (but always at least one entry if there is one).
   */
  public synchronized List<Entry> read(long after, int maxEntries, long maxBytes) {
    List<Entry> out = new ArrayList<>();
    Long start = index.floorKey(after);
    long total = 0;
    for (Segment s : index.tailMap(start == null ? Long.MIN_VALUE : start, true).values()) {
      if (s.last() <= after) {
        continue;
      }
      List<byte[]> values = values(s);
      for (int i = (int) Math.max(0, after + 1 - s.first); i < s.count; i++) {
        if (s.removed.get(i)) {
          continue;
        }
        byte[] value = values.get(i);
        if (out.size() >= maxEntries || (!out.isEmpty() && total + value.length > maxBytes)) {
          return out;
        }
        out.add(new Entry(s.first + i, value));
        total += value.length;
      }
    }
    return out;
  }

  /**
   * Removes the entries at {@code positions}; a segment whose entries are all removed leaves the
   * store (one commit for all such segments). Unknown positions are ignored. Returns how many
   * entries were removed.
   */
  public synchronized int removeAll(Collection<Long> positions) {
    int removed = 0;
    List<Segment> emptied = new ArrayList<>();
    for (Long position : positions) {
      Map.Entry<Long, Segment> e = index.floorEntry(position);
      if (e == null || position > e.getValue().last()) {
        continue;
      }
      Segment s = e.getValue();
      int i = (int) (position - s.first);
      if (!s.removed.get(i)) {
        s.removed.set(i);
        s.live--;
        removed++;
        if (s.live == 0) {
          emptied.add(s);
        }
      }
    }
    if (!emptied.isEmpty()) {
      store.transaction(() -> emptied.forEach(s -> segments.remove(key(s.first))));
      for (Segment s : emptied) {
        index.remove(s.first);
        cache.remove(s.first);
        bytes -= s.bytes;
      }
    }
    size -= removed;
    return removed;
  }

  /** Entries queued and not removed. */
  public synchronized int size() {
    return size;
  }

  /** Bytes the queue holds against its budget (segments count whole until all their entries are removed). */
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

  private List<byte[]> values(Segment s) {
    List<byte[]> values = cache.get(s.first);
    if (values == null) {
      values = decode(segments.get(key(s.first)).orElseThrow(() ->
          new IllegalStateException("queue segment " + s.first + " is missing from " + store.file())));
      cache.put(s.first, values);
    }
    return values;
  }

  /** [count][len, bytes]... */
  private static byte[] encode(List<byte[]> values) {
    int total = 4;
    for (byte[] v : values) {
      total += 4 + v.length;
    }
    ByteBuffer out = ByteBuffer.allocate(total).putInt(values.size());
    for (byte[] v : values) {
      out.putInt(v.length).put(v);
    }
    return out.array();
  }

  private static List<byte[]> decode(byte[] record) {
    ByteBuffer in = ByteBuffer.wrap(record);
    int count = in.getInt();
    List<byte[]> values = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      byte[] v = new byte[in.getInt()];
      in.get(v);
      values.add(v);
    }
    return values;
  }

  private static long payloadBytes(byte[] record) {
    return record.length - 4L - 4L * ByteBuffer.wrap(record).getInt(0);
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
