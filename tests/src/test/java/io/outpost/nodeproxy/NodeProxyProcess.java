package io.outpost.nodeproxy;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionTimeoutException;

/**
 * {@code outpost agent node-proxy} in a JVM of its own, on the class path the launchers give it
 * (only the JARs of {@code edge-agent/target/node-proxy-classpath.txt}, so a JAR missing from that
 * list fails these tests), so that a test can kill it with SIGKILL. Its stdout and stderr go to files next to the data directory; the
 * listening port is read from the {@code node-proxy: http://HOST:PORT -> UPSTREAM} line.
 */
final class NodeProxyProcess implements AutoCloseable {

  private static final Pattern READY = Pattern.compile("node-proxy: https?://127\\.0\\.0\\.1:(\\d+) -> ");
  private static final AtomicInteger RUNS = new AtomicInteger();

  private final Process process;
  private final Path stdout;
  private final Path stderr;
  private int port = -1;

  private NodeProxyProcess(Process process, Path stdout, Path stderr) {
    this.process = process;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  /**
   * Starts the CLI with {@code extraArgs} after the kubeconfig, listen and data-dir flags; call
   * {@link #awaitListening(Duration)} or {@link #awaitExit(Duration)} next.
   */
  static NodeProxyProcess launch(Path kubeconfig, Path dataDir, Path logDir, String... extraArgs) {
    return launch(List.of(), kubeconfig, dataDir, logDir, extraArgs);
  }

  /** As {@link #launch(Path, Path, Path, String...)}, with {@code jvmFlags} after the default ones. */
  static NodeProxyProcess launch(List<String> jvmFlags, Path kubeconfig, Path dataDir, Path logDir,
                                 String... extraArgs) {
    int run = RUNS.incrementAndGet();
    Path out = logDir.resolve("node-proxy-" + run + ".out");
    Path err = logDir.resolve("node-proxy-" + run + ".err");
    List<String> command = new java.util.ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx128m", "-XX:TieredStopAtLevel=1"));
    command.addAll(jvmFlags);
    command.addAll(List.of("-cp", classPath(),
        "io.outpost.agent.cli.AgentMain", "agent", "node-proxy", "--kubeconfig", kubeconfig.toString(),
        "--listen", "127.0.0.1:0", "--data-dir", dataDir.toString()));
    command.addAll(List.of(extraArgs));
    try {
      Files.createDirectories(logDir);
      ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
      builder.environment().remove("KUBECONFIG");
      return new NodeProxyProcess(builder.start(), out, err);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + String.join(" ", command), e);
    }
  }

  /**
   * This JVM's class path narrowed to what the launchers run the proxy with: the JARs named in the
   * edge-agent's {@code node-proxy-classpath.txt} (written at {@code package}) and the edge-agent
   * itself, as JARs or, in a reactor build that stops before packaging, as class directories.
   */
  static String classPath() {
    Path list = Path.of("..", "edge-agent", "target", "node-proxy-classpath.txt");
    java.util.Set<String> jars;
    try {
      jars = java.util.Arrays.stream(Files.readString(list).strip().split(java.io.File.pathSeparator))
          .map(entry -> Path.of(entry).getFileName().toString()).collect(java.util.stream.Collectors.toSet());
    } catch (IOException e) {
      throw new UncheckedIOException(list.toAbsolutePath().normalize() + " is missing: run ./mvnw package -pl "
          + "edge-agent -am first (the node proxy's class path is written at package)", e);
    }
    return java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
        .filter(entry -> {
          Path path = Path.of(entry);
          String name = path.getFileName().toString();
          return jars.contains(name) || name.matches("outpost-edge-agent-[^-].*\\.jar")
              || java.util.stream.Stream.of("edge-agent", "tunnel", "offline-cache")
                  .anyMatch(module -> path.endsWith(Path.of(module, "target", "classes")));
        })
        .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
  }

  /** Starts the CLI and waits until it prints where it listens. */
  static NodeProxyProcess start(Path kubeconfig, Path dataDir, Path logDir, String... extraArgs) {
    return start(List.of(), kubeconfig, dataDir, logDir, extraArgs);
  }

  /** As {@link #start(Path, Path, Path, String...)}, with {@code jvmFlags} after the default ones. */
  static NodeProxyProcess start(List<String> jvmFlags, Path kubeconfig, Path dataDir, Path logDir,
                                String... extraArgs) {
    NodeProxyProcess proxy = launch(jvmFlags, kubeconfig, dataDir, logDir, extraArgs);
    try {
      proxy.awaitListening(Duration.ofSeconds(20));
      return proxy;
    } catch (RuntimeException | Error e) {
      proxy.close();
      throw e;
    }
  }

  void awaitListening(Duration timeout) {
    try {
      await("node-proxy prints where it listens").atMost(timeout).pollInterval(Duration.ofMillis(50))
          .until(() -> readyPort().isPresent() || !process.isAlive());
    } catch (ConditionTimeoutException e) {
      throw new AssertionError("node-proxy did not start within " + timeout.toSeconds() + " s\n" + output(), e);
    }
    port = readyPort().orElseThrow(() -> new AssertionError("node-proxy exited " + process.exitValue()
        + " before listening\n" + output()));
  }

  /** Waits for the process to end by itself; returns its exit code. */
  int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("node-proxy still running after " + timeout.toSeconds() + " s\n" + output());
    }
    return process.exitValue();
  }

  private Optional<Integer> readyPort() {
    Matcher m = READY.matcher(read(stdout));
    return m.find() ? Optional.of(Integer.parseInt(m.group(1))) : Optional.empty();
  }

  int port() {
    return port;
  }

  String url() {
    return "http://127.0.0.1:" + port;
  }

  /** The proxy's {@code GET /outpost/metrics} page. */
  String metrics() throws IOException, InterruptedException {
    java.net.http.HttpResponse<String> page = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(url() + "/outpost/metrics"))
            .timeout(Duration.ofSeconds(5)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    if (page.statusCode() != 200) {
      throw new AssertionError("GET /outpost/metrics answered " + page.statusCode() + ": " + page.body());
    }
    return page.body();
  }

  /** One sample of a metric from {@link #metrics()}: {@code name} or {@code name{labels}}; -1 when absent. */
  static double sample(String metrics, String series) {
    for (String line : metrics.split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).strip());
      }
    }
    return -1;
  }

  String stdout() {
    return read(stdout);
  }

  String stderr() {
    return read(stderr);
  }

  /** Both streams, for failure messages. */
  String output() {
    return "--- stdout\n" + stdout() + "--- stderr\n" + stderr();
  }

  /** SIGKILL: no shutdown hook runs, the cache is not closed. */
  void killHard() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      throw new AssertionError("node-proxy pid " + process.pid() + " survived SIGKILL for 10 s");
    }
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e + ")";
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
