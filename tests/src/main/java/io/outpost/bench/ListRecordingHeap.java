package io.outpost.bench;

import io.outpost.cache.objects.CacheBudget;
import io.outpost.cache.objects.DurableObjectCache;
import io.outpost.cache.objects.ListScope;
import io.outpost.cache.objects.ObjectCache;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * How much heap recording one large LIST into the node proxy's cache takes: {@code items}
 * ConfigMaps of ~560 bytes (9,000 make the 5 MB LIST of {@link NodeProxyBenchmark}) replace a list
 * in one {@link ObjectCache#batch} transaction on a real cache file, the way {@code CacheWriter}
 * commits it. Reports the bytes allocated by the commit and the heap in use before and after, then
 * finds the smallest {@code -Xmx} (serial GC, the node proxy's young generation) with which the
 * commit succeeds, by running itself as a child JVM at decreasing sizes.
 *
 * <pre>
 * java -cp "tests/target/classes:$(cat tests/target/classpath.txt)" io.outpost.bench.ListRecordingHeap \
 *     [items=9000] [from=128] [step=8]
 * </pre>
 */
public final class ListRecordingHeap {

  private ListRecordingHeap() {
  }

  public static void main(String[] argv) {
    Bench.runAndExit(() -> run(argv));
  }

  private static void run(String[] argv) throws Exception {
    Map<String, String> args = Bench.args(argv, "items", "from", "step", "dir");
    int items = Bench.intArg(args, "items", 9000);
    if (args.containsKey("dir")) { // a child: its parent deletes the dir (an out-of-memory exit cannot)
      record(items, Path.of(args.get("dir")));
      return;
    }
    Bench.quietLogs();
    System.out.println("machine: " + Bench.machine() + "; load average: " + Bench.loadAverage());
    Path dir = Bench.tempDir("list-recording-heap-");
    try {
      record(items, dir);
    } finally {
      Bench.deleteRecursively(dir);
    }
    int smallestOk = -1;
    for (int heap = Bench.intArg(args, "from", 128); heap >= 24; heap -= Bench.intArg(args, "step", 8)) {
      if (!fitsIn(heap, items)) {
        System.out.println("-Xmx" + heap + "m: out of memory");
        break;
      }
      System.out.println("-Xmx" + heap + "m: recorded");
      smallestOk = heap;
    }
    System.out.println("smallest heap that records the list: " + (smallestOk < 0 ? "none tried" : smallestOk + " MiB"));
  }

  private static boolean fitsIn(int heapMiB, int items) throws Exception {
    Path dir = Bench.tempDir("list-recording-heap-");
    try {
      return fitsIn(heapMiB, items, dir);
    } finally {
      Bench.deleteRecursively(dir);
    }
  }

  private static boolean fitsIn(int heapMiB, int items, Path dir) throws Exception {
    List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx" + heapMiB + "m", "-Xmn" + Math.min(24, heapMiB / 3) + "m", "-XX:+UseSerialGC",
        "-XX:+ExitOnOutOfMemoryError", "-Dlogback.configurationFile=/dev/null", "-cp",
        System.getProperty("java.class.path"), ListRecordingHeap.class.getName(), "items=" + items, "dir=" + dir);
    Process child = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    if (!child.waitFor(5, TimeUnit.MINUTES)) {
      child.destroyForcibly();
      throw new IllegalStateException("-Xmx" + heapMiB + "m: the child did not finish within 5 minutes");
    }
    return child.exitValue() == 0;
  }

  private static void record(int count, Path dir) throws Exception {
    List<byte[]> itemsJson = new ArrayList<>(count);
    long bytes = 0;
    for (int i = 0; i < count; i++) {
      byte[] item = ("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm-" + i
          + "\",\"namespace\":\"bench\",\"uid\":\"" + UUID.randomUUID() + "\",\"resourceVersion\":\"" + (i + 1)
          + "\",\"creationTimestamp\":\"2026-11-22T10:00:00Z\"},\"data\":{\"settings\":\"" + "x".repeat(400) + "\"}}")
          .getBytes(StandardCharsets.UTF_8);
      itemsJson.add(item);
      bytes += item.length;
    }
    try (ObjectCache cache = DurableObjectCache.open(dir.resolve("objects.db"), CacheBudget.defaults())) {
      long usedBefore = usedAfterGc();
      long allocatedBefore = allocated();
      long start = System.nanoTime();
      cache.batch(() -> cache.replaceList(ListScope.of("kubelet", "/v1/configmaps", "bench"), "99", itemsJson));
      long nanos = System.nanoTime() - start;
      long allocated = allocated() - allocatedBefore;
      System.out.println(Bench.fmt("%,d items, %.1f MiB of JSON: the commit allocated %.0f MiB in %.0f ms; heap in"
          + " use after GC %.1f MiB before, %.1f MiB after", count, bytes / 1048576.0, allocated / 1048576.0,
          nanos / 1e6, usedBefore / 1048576.0, usedAfterGc() / 1048576.0));
    }
  }

  private static long usedAfterGc() {
    System.gc();
    Runtime runtime = Runtime.getRuntime();
    return runtime.totalMemory() - runtime.freeMemory();
  }

  private static long allocated() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
  }
}
