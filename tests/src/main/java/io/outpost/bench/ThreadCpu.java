package io.outpost.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * CPU time of this JVM's threads grouped by name, from Linux's {@code /proc/self/task}: unlike
 * {@code ThreadMXBean} it also sees the JIT compiler and GC threads, and {@code schedstat} counts
 * nanoseconds rather than 10 ms ticks. Digits are dropped from names so that pools form one group
 * ({@code grpc-nio-worker-ELG-1-2} and {@code -1-3} add up). Names are the kernel's, cut to 15
 * characters. Threads that end between two snapshots lose their time; the harnesses' pools live
 * across reads.
 *
 * <pre>{@code
 * Map<String, Long> before = ThreadCpu.snapshot();
 * read();
 * Map<String, Long> spent = ThreadCpu.since(before); // group -> nanoseconds
 * }</pre>
 */
final class ThreadCpu {

  private static final Path TASKS = Path.of("/proc/self/task");

  private ThreadCpu() {}

  /** Whether this platform has per-thread schedstat (Linux); elsewhere snapshots are empty. */
  static boolean available() {
    return Files.isDirectory(TASKS);
  }

  /** Thread id + group name -> CPU nanoseconds so far. */
  static Map<String, Long> snapshot() {
    Map<String, Long> out = new HashMap<>();
    if (!available()) {
      return out;
    }
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(TASKS)) {
      for (Path task : tasks) {
        try {
          String name = Files.readString(task.resolve("comm")).trim().replaceAll("[0-9]+", "#");
          long nanos = Long.parseLong(Files.readString(task.resolve("schedstat")).split(" ")[0]);
          out.put(task.getFileName() + " " + name, nanos);
        } catch (IOException | RuntimeException endedMeanwhile) {
          // The thread ended while we listed it: nothing to count.
        }
      }
    } catch (IOException e) {
      return out;
    }
    return out;
  }

  /** Group name -> CPU nanoseconds spent since {@code before}, threads born meanwhile included. */
  static Map<String, Long> since(Map<String, Long> before) {
    Map<String, Long> groups = new HashMap<>();
    snapshot().forEach((key, nanos) -> {
      long spent = nanos - before.getOrDefault(key, 0L);
      groups.merge(key.substring(key.indexOf(' ') + 1), spent, Long::sum);
    });
    return groups;
  }

  /**
   * A table of CPU per operation by thread group, direct against hub, the hub's largest first;
   * groups under one {@code unit} per operation on both paths are left out of the rows but not of
   * the total.
   *
   * @param nanosPerUnit 1e6 for milliseconds, 1e3 for microseconds
   */
  static String table(Map<String, Long> direct, Map<String, Long> hub, long operations, double nanosPerUnit) {
    List<String> groups = new ArrayList<>(hub.keySet());
    direct.keySet().stream().filter(g -> !hub.containsKey(g)).forEach(groups::add);
    groups.sort((a, b) -> Long.compare(hub.getOrDefault(b, 0L), hub.getOrDefault(a, 0L)));
    double per = nanosPerUnit * operations;
    List<List<String>> rows = new ArrayList<>();
    long directTotal = 0;
    long hubTotal = 0;
    for (String group : groups) {
      long d = direct.getOrDefault(group, 0L);
      long h = hub.getOrDefault(group, 0L);
      directTotal += d;
      hubTotal += h;
      if (Math.max(d, h) >= per) {
        rows.add(List.of(group, Bench.fmt("%.1f", d / per), Bench.fmt("%.1f", h / per)));
      }
    }
    rows.add(List.of("**all threads**", Bench.fmt("%.1f", directTotal / per), Bench.fmt("%.1f", hubTotal / per)));
    return Bench.table(List.of("thread group", "direct", "hub"), rows);
  }
}
