package io.outpost.sandbox;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** Runs the real kubectl against one kubeconfig, always with a bounded wait. */
final class Kubectl {

  static final Path BINARY = Path.of("/usr/bin/kubectl");
  private static final long TIMEOUT_SECONDS = 20;

  private final Path kubeconfig;
  private final Path cacheDir;

  /**
   * @param cacheDir a fresh discovery cache, so results never depend on ~/.kube/cache
   */
  Kubectl(Path kubeconfig, Path cacheDir) {
    this.kubeconfig = kubeconfig;
    this.cacheDir = cacheDir;
  }

  static boolean installed() {
    return Files.isExecutable(BINARY);
  }

  record Result(int exitCode, String stdout, String stderr) {
    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
    }
  }

  /** Runs kubectl to completion (at most 20 s) and returns what it printed. */
  Result run(String... args) throws IOException, InterruptedException {
    Path stdout = Files.createTempFile(cacheDir, "kubectl", ".out");
    Path stderr = Files.createTempFile(cacheDir, "kubectl", ".err");
    Process process = new ProcessBuilder(command(args))
        .redirectOutput(stdout.toFile())
        .redirectError(stderr.toFile())
        .start();
    try {
      if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        throw new AssertionError("kubectl " + String.join(" ", args) + " did not finish within "
            + TIMEOUT_SECONDS + " s; output so far:\n" + Files.readString(stdout) + Files.readString(stderr));
      }
      return new Result(process.exitValue(), Files.readString(stdout), Files.readString(stderr));
    } finally {
      process.destroyForcibly();
    }
  }

  /** Starts a long-running kubectl (e.g. {@code get -w}); its stdout lines collect in {@link Running#lines()}. */
  Running start(String... args) throws IOException {
    Path stderr = Files.createTempFile(cacheDir, "kubectl", ".err");
    Process process = new ProcessBuilder(command(args)).redirectError(stderr.toFile()).start();
    return new Running(process, stderr);
  }

  private List<String> command(String... args) {
    List<String> command = new ArrayList<>(List.of(BINARY.toString(),
        "--kubeconfig", kubeconfig.toString(), "--cache-dir", cacheDir.toString(), "--request-timeout", "10s"));
    command.addAll(List.of(args));
    return command;
  }

  /** A kubectl process that is destroyed on {@link #close()}. */
  static final class Running implements AutoCloseable {
    private final Process process;
    private final Path stderr;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Thread reader;

    private Running(Process process, Path stderr) {
      this.process = process;
      this.stderr = stderr;
      this.reader = new Thread(this::readLines, "kubectl-stdout");
      reader.setDaemon(true);
      reader.start();
    }

    private void readLines() {
      try (BufferedReader in = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          lines.add(line);
        }
      } catch (IOException processEnded) {
        // destroyed
      }
    }

    List<String> lines() {
      return lines;
    }

    String output() {
      try {
        return String.join("\n", lines) + "\n--- stderr\n" + Files.readString(stderr);
      } catch (IOException e) {
        return String.join("\n", lines);
      }
    }

    @Override
    public void close() throws InterruptedException {
      process.destroy();
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
      reader.join(TimeUnit.SECONDS.toMillis(5));
    }
  }
}
