package io.outpost.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The real kubectl binary, run against one kubeconfig and one discovery cache directory, always
 * with a bounded wait. stdout and stderr are merged, as a user at a terminal sees them.
 */
public final class Kubectl {

  public static final Path BINARY = Path.of("/usr/bin/kubectl");

  private final Path kubeconfig;
  private final Path cacheDir;

  /** @param cacheDir the discovery cache; a fresh directory keeps results independent of ~/.kube/cache */
  public Kubectl(Path kubeconfig, Path cacheDir) {
    this.kubeconfig = kubeconfig;
    this.cacheDir = cacheDir;
  }

  public static boolean installed() {
    return Files.isExecutable(BINARY);
  }

  /** What one kubectl run printed and how it exited. */
  public record Result(List<String> command, int exitCode, String output) {
    public boolean ok() {
      return exitCode == 0;
    }

    @Override
    public String toString() {
      return String.join(" ", command) + "\n  exited " + exitCode + ", printed:\n" + output;
    }
  }

  /**
   * Runs kubectl to completion. On timeout the process is destroyed and an AssertionError carries
   * what it printed so far.
   */
  public Result run(Duration timeout, String... args) {
    Running running = start(args);
    try {
      if (!running.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError("kubectl did not finish within " + timeout.toSeconds() + " s: "
            + String.join(" ", running.command) + "\n  printed so far:\n" + running.output());
      }
      running.reader.join(TimeUnit.SECONDS.toMillis(5));
      return new Result(running.command, running.process.exitValue(), running.output());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for kubectl", e);
    } finally {
      running.close();
    }
  }

  /**
   * Starts a long-running kubectl ({@code get -w}, {@code logs -f}); its output lines collect in
   * {@link Running#lines()} as they arrive. Close it to destroy the process.
   */
  public Running start(String... args) {
    List<String> command = new ArrayList<>(List.of(BINARY.toString(),
        "--kubeconfig", kubeconfig.toString(), "--cache-dir", cacheDir.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    Map<String, String> env = builder.environment();
    env.remove("KUBECONFIG");
    // kubectl writes nothing else under HOME when --kubeconfig and --cache-dir are given, but keep it
    // off the user's real ~/.kube anyway.
    env.put("HOME", cacheDir.toAbsolutePath().toString());
    try {
      return new Running(command, builder.start());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + String.join(" ", command), e);
    }
  }

  /** A kubectl process whose output is read line by line; destroyed on {@link #close()}. */
  public static final class Running implements AutoCloseable {
    private final List<String> command;
    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Thread reader;

    private Running(List<String> command, Process process) {
      this.command = command;
      this.process = process;
      this.reader = new Thread(this::read, "kubectl-output-" + process.pid());
      reader.setDaemon(true);
      reader.start();
    }

    private void read() {
      try (BufferedReader in = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          lines.add(line);
        }
      } catch (IOException ignored) {
        // The process was destroyed: the lines read so far are all there is.
      }
    }

    public List<String> lines() {
      return List.copyOf(lines);
    }

    public String output() {
      return String.join("\n", lines) + (lines.isEmpty() ? "" : "\n");
    }

    public boolean isAlive() {
      return process.isAlive();
    }

    /** Waits until a printed line matches; fails with everything printed so far otherwise. */
    public String awaitLine(Predicate<String> matches, Duration timeout, String what) {
      try {
        Awaitility.await(what).atMost(timeout).pollInterval(Duration.ofMillis(50))
            .until(() -> lines.stream().anyMatch(matches));
      } catch (ConditionTimeoutException e) {
        throw new AssertionError("kubectl never printed " + what + " within " + timeout.toSeconds() + " s: "
            + String.join(" ", command) + (process.isAlive() ? " (still running)" : " (exited " + process.exitValue() + ")")
            + "\n  printed:\n" + output(), e);
      }
      return lines.stream().filter(matches).findFirst().orElseThrow();
    }

    /** Waits until at least {@code n} lines match. */
    public List<String> awaitLines(Predicate<String> matches, int n, Duration timeout, String what) {
      try {
        Awaitility.await(what).atMost(timeout).pollInterval(Duration.ofMillis(50))
            .until(() -> lines.stream().filter(matches).count() >= n);
      } catch (ConditionTimeoutException e) {
        throw new AssertionError("kubectl did not print " + n + " lines of " + what + " within "
            + timeout.toSeconds() + " s: " + String.join(" ", command)
            + (process.isAlive() ? " (still running)" : " (exited " + process.exitValue() + ")")
            + "\n  printed:\n" + output(), e);
      }
      return lines.stream().filter(matches).toList();
    }

    @Override
    public void close() {
      process.destroy();
      try {
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
