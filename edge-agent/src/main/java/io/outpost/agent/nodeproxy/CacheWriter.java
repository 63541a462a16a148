package io.outpost.agent.nodeproxy;

import io.outpost.cache.objects.ObjectCache;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit for the node proxy's cache writes: recorded answers and watch events are queued in
 * arrival order and one writer thread commits whatever has queued up in one
 * {@link ObjectCache#batch(Runnable) transaction} (at most {@link #MAX_BATCH} writes), so heavy watch
 * traffic costs one fsync per batch instead of one per event. No write waits for a timer: while one
 * batch is being committed the next one fills, so the latency of a write is bounded by about two
 * commits (a few ms on an SSD, tens on an SD card).
 *
 * <p>What a batch committed is on disk ({@code kill -9} safe). After each commit the writer raises
 * the committed watermark of each (client, resource) whose watch events it held: every event up to
 * that resourceVersion is durable. {@code /outpost/metrics} exports it, and the crash tests check
 * it.
 *
 * <p>The queue holds at most {@link #MAX_QUEUED_BYTES} of JSON: when upstream answers faster than
 * the disk commits, {@code submit} waits for room, which slows that one watch or list down
 * (backpressure up to the API server) instead of growing the heap until it runs out. Dropping a
 * write instead would leave the cache silently stale. Only a closed writer drops (and counts) writes.
 */
final class CacheWriter implements AutoCloseable {

  /** At most this many writes per transaction: keeps readers' waits short. */
  static final int MAX_BATCH = 512;
  static final int QUEUE_CAPACITY = 50_000;
  /** 8 MiB: a few large lists or thousands of events; small next to the proxy's heap. */
  static final int MAX_QUEUED_BYTES = 8 << 20;

  private static final Logger log = LoggerFactory.getLogger(CacheWriter.class);

  /** One queued write; {@code watermarkKey}/{@code resourceVersion} are set for watch events. */
  private record Write(String what, Runnable body, String watermarkKey, long resourceVersion, int bytes) {}

  private final ObjectCache cache;
  private final BlockingQueue<Write> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
  private final Semaphore room = new Semaphore(MAX_QUEUED_BYTES);
  private final Map<String, Long> committed = new ConcurrentHashMap<>();
  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong writes = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong commitNanos = new AtomicLong();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Thread thread;

  CacheWriter(ObjectCache cache) {
    this.cache = cache;
    this.thread = new Thread(this::run, "node-proxy-cache-writer");
    thread.setDaemon(true);
    thread.start();
  }

  /** Queues a write (a GET or LIST answer) of about {@code bytes} of JSON; may wait for room. */
  void submit(String what, int bytes, Runnable body) {
    enqueue(new Write(what, body, null, -1, bytes));
  }

  /**
   * Queues a watch event's write; once committed, the watermark of (client, resource) is at least
   * {@code resourceVersion} (when it is numeric, as etcd's are). May wait for room.
   */
  void submitEvent(String client, String resource, String resourceVersion, int bytes, String what, Runnable body) {
    enqueue(new Write(what, body, client + " " + resource, numeric(resourceVersion), bytes));
  }

  private void enqueue(Write submitted) {
    Write write = new Write(submitted.what(), submitted.body(), submitted.watermarkKey(),
        submitted.resourceVersion(), Math.max(1, Math.min(submitted.bytes(), MAX_QUEUED_BYTES)));
    try {
      while (running.get()) {
        if (room.tryAcquire(write.bytes(), 100, TimeUnit.MILLISECONDS)) {
          if (queue.offer(write, 1, TimeUnit.SECONDS)) {
            return;
          }
          room.release(write.bytes());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    dropped.incrementAndGet();
    log.warn("cache writer is closed; not caching {}", write.what());
  }

  private void run() {
    List<Write> batch = new ArrayList<>(MAX_BATCH);
    while (running.get() || !queue.isEmpty()) {
      try {
        Write first = queue.poll(200, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, MAX_BATCH - 1);
        commit(batch);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Error e) {
        // Out of memory mid-commit: stop caching rather than stall every forwarded request on a
        // queue nobody drains; the proxy keeps forwarding (run it with -XX:+ExitOnOutOfMemoryError
        // so that systemd restarts it with its cache instead).
        running.set(false);
        log.error("cache writer stopped: {}; the proxy forwards without caching from now on", e.toString());
        throw e;
      } finally {
        batch.clear();
      }
    }
  }

  private void commit(List<Write> batch) {
    long start = System.nanoTime();
    int[] applied = {0};
    try {
      cache.batch(() -> batch.forEach(write -> applied[0] += apply(write) ? 1 : 0));
    } catch (RuntimeException e) {
      failed.addAndGet(batch.size());
      log.warn("could not commit {} cache writes (nothing of them is cached): {} (cause: {})", batch.size(),
          e.toString(), Forwarder.rootMessage(e));
      return;
    } finally {
      room.release(batch.stream().mapToInt(Write::bytes).sum());
    }
    commitNanos.addAndGet(System.nanoTime() - start);
    batches.incrementAndGet();
    writes.addAndGet(applied[0]);
    for (Write write : batch) {
      if (write.watermarkKey() != null && write.resourceVersion() >= 0) {
        committed.merge(write.watermarkKey(), write.resourceVersion(), Math::max);
      }
    }
  }

  /** One write inside the batch; a write the cache refuses (bad JSON) is skipped, not the batch. */
  private boolean apply(Write write) {
    try {
      write.body().run();
      return true;
    } catch (IllegalArgumentException e) {
      failed.incrementAndGet();
      log.warn("not caching {}: {}", write.what(), e.getMessage());
      return false;
    }
  }

  private static long numeric(String resourceVersion) {
    try {
      return resourceVersion == null ? -1 : Long.parseLong(resourceVersion);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Committed watermarks: "client resource" → the highest resourceVersion of a committed watch event. */
  Map<String, Long> committedWatermarks() {
    return Map.copyOf(committed);
  }

  long batches() {
    return batches.get();
  }

  long writes() {
    return writes.get();
  }

  long failed() {
    return failed.get();
  }

  long dropped() {
    return dropped.get();
  }

  long queued() {
    return queue.size();
  }

  double commitSeconds() {
    return commitNanos.get() / 1e9;
  }

  /** Commits what is queued, then stops. Idempotent. */
  @Override
  public void close() {
    if (running.compareAndSet(true, false)) {
      try {
        thread.join(TimeUnit.SECONDS.toMillis(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
