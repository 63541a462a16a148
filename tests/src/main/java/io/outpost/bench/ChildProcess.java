package io.outpost.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A benchmark JVM started from another one, and the small line protocol between them.
 *
 * <p>The child writes reports as {@code @@event key=value ...} lines on stdout; everything else it
 * prints is passed on to the parent's stderr with a prefix. The parent sends commands as lines on
 * the child's stdin. When stdin closes — the parent exited, was killed, or is done — the child
 * exits, so no child outlives a benchmark even without a shutdown hook.
 */
final class ChildProcess implements AutoCloseable {

  private static final String MARK = "@@";

  private final String name;
  private final Process process;
  private final Writer commands;
  private final BlockingQueue<Map<String, String>> reports = new LinkedBlockingQueue<>();
  private final Thread killOnExit;

  private ChildProcess(String name, Process process) {
    this.name = name;
    this.process = process;
    this.commands = process.outputWriter(StandardCharsets.UTF_8);
    this.killOnExit = new Thread(process::destroyForcibly, name + "-killer");
    Runtime.getRuntime().addShutdownHook(killOnExit);
    Thread reader = new Thread(this::readReports, name + "-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts {@code mainClass} in a new JVM on this JVM's class path. */
  static ChildProcess start(String name, List<String> jvmFlags, Class<?> mainClass, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmFlags);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass.getName());
    command.addAll(args);
    try {
      Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      return new ChildProcess(name, process);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the " + name + " JVM", e);
    }
  }

  long pid() {
    return process.pid();
  }

  /** Sends one command line to the child. */
  void send(String command) {
    try {
      commands.write(command + "\n");
      commands.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("the " + name + " process no longer reads commands", e);
    }
  }

  /** Waits for the child's next report named {@code event}, skipping others; fails if it dies first. */
  Map<String, String> await(String event, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      Map<String, String> report = reports.poll(Math.max(0, Math.min(left, 200_000_000)), TimeUnit.NANOSECONDS);
      if (report != null && event.equals(report.get(""))) {
        return report;
      }
      if (report == null && !process.isAlive() && reports.isEmpty()) {
        throw new IllegalStateException("the " + name + " process exited (" + process.exitValue()
            + ") before reporting " + event);
      }
      if (left <= 0) {
        throw new IllegalStateException("the " + name + " process did not report " + event + " within " + timeout);
      }
    }
  }

  private void readReports() {
    try (BufferedReader out = process.inputReader(StandardCharsets.UTF_8)) {
      for (String line; (line = out.readLine()) != null; ) {
        if (line.startsWith(MARK)) {
          reports.add(parse(line));
        } else {
          System.err.println("[" + name + "] " + line);
        }
      }
    } catch (IOException ignored) {
      // The child is gone; await() reports that.
    }
  }

  private static Map<String, String> parse(String line) {
    String[] words = line.substring(MARK.length()).split(" ");
    Map<String, String> report = new LinkedHashMap<>();
    report.put("", words[0]);
    for (int i = 1; i < words.length; i++) {
      int eq = words[i].indexOf('=');
      report.put(words[i].substring(0, eq), words[i].substring(eq + 1));
    }
    return report;
  }

  /** Closes the child's stdin (it exits on its own), then kills it if it is still there after 10 s. */
  @Override
  public void close() {
    try {
      commands.close();
    } catch (IOException ignored) {
      // Already gone.
    }
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    try {
      Runtime.getRuntime().removeShutdownHook(killOnExit);
    } catch (IllegalStateException shuttingDown) {
      // The hook is running or will; nothing to remove.
    }
  }

  // ---- the child's side ----

  /** Writes one report line; values must not contain spaces. */
  static void report(String event, Object... keyValues) {
    StringBuilder line = new StringBuilder(MARK).append(event);
    for (int i = 0; i < keyValues.length; i += 2) {
      line.append(' ').append(keyValues[i]).append('=').append(keyValues[i + 1]);
    }
    PrintStream out = System.out;
    synchronized (out) {
      out.println(line);
      out.flush();
    }
  }

  /**
   * Serves the parent's commands on stdin until it closes, then runs {@code onExit} and ends the
   * JVM. Blocks: call it last in the child's main.
   */
  static void serveCommands(Consumer<String> handler, Runnable onExit) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        handler.accept(line.trim());
      }
    } catch (IOException ignored) {
      // Treat a broken stdin like a closed one.
    } finally {
      try {
        onExit.run();
      } finally {
        System.exit(0);
      }
    }
  }

  // ---- measuring another process (Linux /proc) ----

  /** VmRSS and VmHWM (peak RSS) in KiB, and the thread count, from /proc/PID/status. */
  static Map<String, Long> memory(long pid) {
    Map<String, Long> out = new LinkedHashMap<>();
    try {
      for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
        for (String key : List.of("VmRSS", "VmHWM", "Threads")) {
          if (line.startsWith(key + ":")) {
            out.put(key, Long.parseLong(line.replaceAll("\\D", "")));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the status of process " + pid, e);
    }
    return out;
  }

  /** CPU time (user + system) the process has used so far. */
  static Duration cpu(long pid) {
    return ProcessHandle.of(pid).flatMap(p -> p.info().totalCpuDuration()).orElse(Duration.ZERO);
  }
}
