package io.outpost.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code outpost agent node-proxy} as a child JVM for {@link NodeProxyBenchmark}, so that its RSS is
 * its own: started with given JVM flags, its output in a file, asked for its metrics, its resident
 * set read from {@code /proc}, stopped with SIGTERM (so a class-data archive is written at exit).
 */
final class NodeProxyChild implements AutoCloseable {

  private static final Pattern NMT_CATEGORY =
      Pattern.compile("^-\\s+([A-Za-z ]+?) \\(reserved=\\d+KB, committed=(\\d+)KB\\)", Pattern.MULTILINE);
  private static final Pattern READY = Pattern.compile("node-proxy: http://127\\.0\\.0\\.1:(\\d+) -> ");

  final long launchedNanos;
  private final Process process;
  private final Path log;
  /** The user agent every request is sent with: the proxy caches per client, and the benchmark is the kubelet. */
  private static final String KUBELET_AGENT = "kubelet/v1.32.0 (linux/amd64) kubernetes/bench";

  private final HttpClient http;
  private int port = -1;

  private NodeProxyChild(Process process, Path log, long launchedNanos, HttpClient http) {
    this.process = process;
    this.log = log;
    this.launchedNanos = launchedNanos;
    this.http = http;
  }

  /** Launches the proxy with {@code classPath} on a free loopback port; does not wait. */
  static NodeProxyChild launch(List<String> jvmFlags, Map<String, String> env, String classPath, Path kubeconfig,
                               Path dataDir, Path log, HttpClient http) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmFlags);
    command.addAll(List.of("-cp", classPath, "io.outpost.agent.cli.AgentMain", "agent",
        "node-proxy", "--kubeconfig", kubeconfig.toString(), "--listen", "127.0.0.1:0", "--data-dir",
        dataDir.toString()));
    try {
      long start = System.nanoTime();
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
      builder.environment().putAll(env);
      Process process = builder.start();
      return new NodeProxyChild(process, log, start, http);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command, e);
    }
  }

  /**
   * This JVM's class path without directories: class-data sharing archives only classes from JARs,
   * and the proxy needs nothing from {@code tests/target/classes} (run {@code package} first so that
   * the edge-agent JAR is current). It holds every module's dependencies (181 entries).
   */
  static String testsJars() {
    return java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
        .filter(entry -> Files.isRegularFile(Path.of(entry)))
        .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
  }

  /**
   * What the launchers run the proxy with: the edge-agent JAR and its own runtime class path
   * ({@code edge-agent/target/classpath.txt}, 129 JARs), fewer than {@link #testsJars()}; the JVM
   * keeps each opened JAR's central directory on the heap.
   */
  static String agentJars() throws IOException {
    return edgeAgentJars("classpath.txt");
  }

  /**
   * What the launchers run {@code agent node-proxy} with since the fifth session: the edge-agent JAR
   * and only the 27 JARs the proxy loads classes from ({@code edge-agent/target/node-proxy-classpath.txt}).
   */
  static String proxyJars() throws IOException {
    return edgeAgentJars("node-proxy-classpath.txt");
  }

  private static String edgeAgentJars(String classPathFile) throws IOException {
    Path target = Path.of("edge-agent", "target");
    try (var jars = Files.list(target)) {
      Path jar = jars.filter(p -> p.getFileName().toString().matches("outpost-edge-agent-.*\\.jar")).findFirst()
          .orElseThrow(() -> new IllegalStateException("no edge-agent JAR in " + target.toAbsolutePath()
              + ": run the benchmark from the repository root after ./mvnw package"));
      return jar + java.io.File.pathSeparator + Files.readString(target.resolve(classPathFile)).strip();
    }
  }

  /**
   * Polls {@code path} (as a kubelet) until it answers 200; returns the time from launch to that
   * first answer: the cold start a restarted node component sees.
   */
  Duration awaitFirstAnswer(String path) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("node proxy exited " + process.exitValue() + ":\n" + output());
      }
      if (port < 0) {
        Matcher m = READY.matcher(output());
        if (m.find()) {
          port = Integer.parseInt(m.group(1));
        }
      }
      if (port > 0) {
        try {
          if (get(path).statusCode() == 200) {
            return Duration.ofNanos(System.nanoTime() - launchedNanos);
          }
        } catch (IOException e) {
          // not listening yet
        }
      }
      Thread.sleep(2); // polling a child process's readiness; there is nothing to await on
    }
    throw new IllegalStateException("node proxy gave no 200 for " + path + " within 60 s:\n" + output());
  }

  HttpResponse<byte[]> get(String path) throws IOException, InterruptedException {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .header("User-Agent", KUBELET_AGENT).header("Accept", "application/json")
          .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      if (port > 0 && !process.isAlive()) {
        throw new IOException("node proxy exited " + process.exitValue() + " during GET " + path + ":\n" + output(), e);
      }
      throw e;
    }
  }

  /**
   * The same GET over a blocking {@link java.net.HttpURLConnection} (the JDK's keep-alive pool): the
   * calling thread writes and reads the socket itself, with none of the asynchronous client's thread
   * hand-offs, so less of the client's own jitter lands in a latency tail. Returns the body; throws
   * for any status but 200.
   */
  byte[] getBlocking(String path) throws IOException {
    var connection = (java.net.HttpURLConnection) URI.create("http://127.0.0.1:" + port + path).toURL().openConnection();
    connection.setRequestProperty("User-Agent", KUBELET_AGENT);
    connection.setRequestProperty("Accept", "application/json");
    int code = connection.getResponseCode();
    try (var in = code == 200 ? connection.getInputStream() : connection.getErrorStream()) {
      byte[] body = in == null ? new byte[0] : in.readAllBytes();
      if (code != 200) {
        throw new IllegalStateException(code + ": " + new String(body, java.nio.charset.StandardCharsets.UTF_8));
      }
      return body;
    }
  }

  /** One series of {@code /outpost/metrics}; -1 when absent. */
  double metric(String series) throws IOException, InterruptedException {
    String page = new String(get("/outpost/metrics").body(), java.nio.charset.StandardCharsets.UTF_8);
    for (String line : page.split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).strip());
      }
    }
    return -1;
  }

  /** Runs a full GC in the child (jcmd), so heap figures are live data, not garbage. */
  void fullGc() throws IOException, InterruptedException {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Process gc = new ProcessBuilder(jcmd.toString(), Long.toString(process.pid()), "GC.run")
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    gc.waitFor(30, TimeUnit.SECONDS);
  }

  /**
   * Committed native memory per NMT category in MiB ({@code jcmd VM.native_memory summary}), in
   * jcmd's order; empty unless the child runs with {@code -XX:NativeMemoryTracking=summary}.
   */
  Map<String, Double> nativeMemoryMiB() throws IOException, InterruptedException {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Process nmt = new ProcessBuilder(jcmd.toString(), Long.toString(process.pid()), "VM.native_memory", "summary")
        .redirectErrorStream(true).start();
    String report = new String(nmt.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    nmt.waitFor(30, TimeUnit.SECONDS);
    Map<String, Double> committed = new LinkedHashMap<>();
    Matcher m = NMT_CATEGORY.matcher(report);
    while (m.find()) {
      committed.put(m.group(1).strip(), Long.parseLong(m.group(2)) / 1024.0);
    }
    return committed;
  }

  /** Resident memory by mapping kind from {@code /proc/PID/smaps_rollup}: anonymous vs file-backed, in MiB. */
  String residentSplit() throws IOException {
    long anon = 0;
    long rss = 0;
    for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/smaps_rollup"))) {
      long kb = line.matches("^\\w+:\\s+\\d+ kB$") ? Long.parseLong(line.replaceAll("\\D", "")) : 0;
      if (line.startsWith("Rss:")) {
        rss = kb;
      } else if (line.startsWith("Anonymous:")) {
        anon = kb;
      }
    }
    return Bench.fmt("%.1f MiB anonymous + %.1f MiB file-backed", anon / 1024.0,
        (rss - anon) / 1024.0);
  }

  /**
   * The largest resident mappings from {@code /proc/PID/smaps}, in MiB, largest first: file-backed
   * ones by file name, anonymous ones by size class (the heap, the class-data archive's writable part
   * and malloc arenas look alike there, so their address ranges are kept).
   */
  String residentMappings(int top) throws IOException {
    Map<String, Long> byMapping = new LinkedHashMap<>();
    String current = null;
    for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/smaps"))) {
      if (line.matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
        String[] fields = line.split("\\s+", 6);
        current = fields.length == 6 && !fields[5].isBlank() ? Path.of(fields[5].strip()).getFileName().toString()
            : "anon " + fields[0];
      } else if (line.startsWith("Rss:") && current != null) {
        byMapping.merge(current, Long.parseLong(line.replaceAll("\\D", "")), Long::sum);
      }
    }
    return byMapping.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(top)
        .map(e -> Bench.fmt("%s %.1f", e.getKey(), e.getValue() / 1024.0)).reduce((a, b) -> a + ", " + b)
        .orElse("(none)");
  }

  /** The {@code top} classes by live heap bytes ({@code jcmd GC.class_histogram}), in KiB. */
  String heapHistogram(int top) throws IOException, InterruptedException {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Process histogram = new ProcessBuilder(jcmd.toString(), Long.toString(process.pid()), "GC.class_histogram")
        .redirectErrorStream(true).start();
    List<String> lines = new String(histogram.getInputStream().readAllBytes(),
        java.nio.charset.StandardCharsets.UTF_8).lines().filter(l -> l.matches("^\\s*\\d+:\\s+\\d+\\s+\\d+\\s+.*")).limit(top).toList();
    histogram.waitFor(30, TimeUnit.SECONDS);
    return lines.stream().map(l -> l.strip().split("\\s+")).map(f -> f[3] + " " + Long.parseLong(f[2]) / 1024)
        .reduce((a, b) -> a + ", " + b).orElse("(none)");
  }

  /** Young and full collections so far ({@code jstat -gc}: YGC and FGC), e.g. {@code [12, 1]}. */
  long[] collections() throws IOException, InterruptedException {
    List<String> lines = jstat("-gc");
    List<String> names = List.of(lines.get(0).strip().split("\\s+"));
    String[] values = lines.get(lines.size() - 1).strip().split("\\s+");
    return new long[] {Long.parseLong(values[names.indexOf("YGC")]), Long.parseLong(values[names.indexOf("FGC")])};
  }

  /** Classes loaded so far ({@code jstat -class}: Loaded). */
  long loadedClasses() throws IOException, InterruptedException {
    List<String> lines = jstat("-class");
    return Long.parseLong(lines.get(lines.size() - 1).strip().split("\\s+")[0]);
  }

  private List<String> jstat(String option) throws IOException, InterruptedException {
    Path jstat = Path.of(System.getProperty("java.home"), "bin", "jstat");
    Process run = new ProcessBuilder(jstat.toString(), option, Long.toString(process.pid())).redirectErrorStream(true)
        .start();
    List<String> lines = new String(run.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
        .strip().lines().toList();
    run.waitFor(30, TimeUnit.SECONDS);
    return lines;
  }

  /** VmRSS of the child in MiB. */
  double rssMiB() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
      }
    }
    return Double.NaN;
  }

  String output() {
    try {
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (IOException e) {
      return "(cannot read " + log + ")";
    }
  }

  /** SIGTERM and wait: the proxy closes its cache, the JVM writes its class-data archive if asked to. */
  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    // A benchmark of a proxy that could not cache is no benchmark: show what it complained about.
    output().lines().filter(line -> line.contains(" WARN ") || line.contains(" ERROR "))
        .forEach(line -> System.err.println("node-proxy: " + line));
  }
}
