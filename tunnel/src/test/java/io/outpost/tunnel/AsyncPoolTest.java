package io.outpost.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Runs a JVM that sees 1 or 2 CPUs (as a small edge box does) and asks where async tasks run. */
class AsyncPoolTest {

  @Test
  void onOneOrTwoCpusAsyncTasksRunInAPoolNotInAFreshThreadEach() throws Exception {
    assertEquals("pool", probe(2, List.of()));
    assertEquals("pool", probe(1, List.of()));
  }

  @Test
  void aParallelismTheUserChoseIsKept() throws Exception {
    assertEquals("thread per task", probe(2, List.of("-D" + AsyncPool.PARALLELISM + "=1")));
  }

  private static String probe(int cpus, List<String> options) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:ActiveProcessorCount=" + cpus));
    command.addAll(options);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), Probe.class.getName()));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    process.waitFor(30, TimeUnit.SECONDS);
    return out;
  }

  /** What a main() of ours does first, then where CompletableFuture runs an async task. */
  public static final class Probe {
    public static void main(String[] args) {
      AsyncPool.keepPooled();
      boolean pooled = CompletableFuture.supplyAsync(() -> Thread.currentThread() instanceof
          ForkJoinWorkerThread).join();
      System.out.println(pooled && ForkJoinPool.getCommonPoolParallelism() > 1 ? "pool" : "thread per task");
    }
  }
}
