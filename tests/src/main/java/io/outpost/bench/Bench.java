package io.outpost.bench;

import io.outpost.tunnel.JvmDefaults;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import io.outpost.tunnel.pki.Tls;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import org.slf4j.LoggerFactory;

/** What the benchmark harnesses share: setup, HTTP, the load loop, and printing. */
final class Bench {

  private Bench() {}

  /** One request of a load loop; throws to count as a failure. */
  @FunctionalInterface
  interface Op {
    void run() throws Exception;
  }

  /**
   * Without a logback.xml on the main classpath logback logs everything at DEBUG, and Netty, gRPC
   * and Micronaut debug output would both swamp the tables and cost CPU inside the measurement.
   */
  static void quietLogs() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext logback) {
      logback.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(Level.WARN);
      // A logback.xml may set io.outpost to INFO: a line per connecting agent, a thousand of them.
      logback.getLogger("io.outpost").setLevel(Level.WARN);
    }
    java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
  }

  /**
   * Runs a harness's main body and ends the JVM: a hub or sandbox left behind by a failure holds
   * non-daemon threads that would otherwise keep a finished benchmark hanging.
   */
  static void runAndExit(Op body) {
    JvmDefaults.apply(); // as the hub and agent mains do; harness code runs before any pool use
    int status = 0;
    try {
      body.run();
    } catch (Throwable t) {
      t.printStackTrace();
      status = 1;
    }
    System.out.flush();
    System.exit(status);
  }

  /** key=value command line arguments; unknown keys are refused so a typo does not go unnoticed. */
  static Map<String, String> args(String[] args, String... known) {
    Map<String, String> out = new HashMap<>();
    List<String> allowed = List.of(known);
    for (String arg : args) {
      int eq = arg.indexOf('=');
      String key = eq < 0 ? arg : arg.substring(0, eq);
      if (eq < 0 || !allowed.contains(key)) {
        throw new IllegalArgumentException("argument \"" + arg + "\" is not one of " + allowed + " as key=value");
      }
      out.put(key, arg.substring(eq + 1));
    }
    return out;
  }

  static int intArg(Map<String, String> args, String key, int defaultValue) {
    return args.containsKey(key) ? Integer.parseInt(args.get(key)) : defaultValue;
  }

  static Path tempDir(String prefix) {
    try {
      return Files.createTempDirectory(prefix);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void deleteRecursively(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      System.err.println("could not delete " + dir + ": " + e.getMessage());
    }
  }

  /**
   * The JDK client, HTTP/1.1 (what kubectl's HTTP/1.1 fallback and most scripts use; one request
   * per connection at a time, so 64 concurrent clients means 64 pooled connections, which the JDK
   * pool allows: it has no size limit). Trusts exactly the hub CA; plain-HTTP URLs ignore it.
   */
  static HttpClient httpClient(X509Certificate hubCa) {
    try {
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(null, new TrustManager[] {Tls.trustManager(hubCa)}, null);
      return HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .sslContext(tls)
          .connectTimeout(Duration.ofSeconds(10))
          .build();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot build a TLS context trusting the hub CA", e);
    }
  }

  static HttpRequest get(URI uri, String bearer) {
    return HttpRequest.newBuilder(uri)
        .header("Authorization", "Bearer " + bearer)
        .header("Accept", "application/json")
        .timeout(Duration.ofSeconds(60))
        .GET()
        .build();
  }

  /** GETs {@code uri}; anything but 200 is an error that names the answer. */
  static byte[] fetch(HttpClient http, URI uri, String bearer) throws IOException, InterruptedException {
    HttpResponse<byte[]> response = http.send(get(uri, bearer), HttpResponse.BodyHandlers.ofByteArray());
    if (response.statusCode() != 200) {
      String body = new String(response.body(), java.nio.charset.StandardCharsets.UTF_8);
      throw new IOException("GET " + uri + " answered " + response.statusCode() + ": "
          + body.substring(0, Math.min(300, body.length())));
    }
    return response.body();
  }

  /** Reads a stream to its end without keeping it; returns the byte count. */
  static long drain(InputStream in) throws IOException {
    byte[] buffer = new byte[64 * 1024];
    long total = 0;
    for (int n; (n = in.read(buffer)) >= 0; ) {
      total += n;
    }
    return total;
  }

  /** A warm-up round that spent less of its wall time than this compiling ends the warm-up. */
  static final double JIT_SETTLED = 0.05;

  /**
   * Runs {@code round} until one run of it spends under {@link #JIT_SETTLED} of its wall time in
   * the JIT compiler, at most {@code maxRounds} times, printing each round's share. The hub path
   * runs through thousands of methods that C2 compiles one by one as their counters fill; on two
   * shared cores that goes on for minutes, and a measurement taken meanwhile measures the JIT.
   *
   * @return the rounds run
   */
  static int warmUntilJitSettles(int maxRounds, Op round) throws Exception {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    for (int n = 1; ; n++) {
      long compiledBefore = jit.getTotalCompilationTime();
      long started = System.nanoTime();
      round.run();
      double compiling = (jit.getTotalCompilationTime() - compiledBefore) / ((System.nanoTime() - started) / 1e6);
      System.out.println("warm-up round " + n + ": " + fmt("%.0f %%", 100 * compiling) + " of its wall time compiling");
      if (compiling < JIT_SETTLED || n == maxRounds) {
        return n;
      }
    }
  }

  /**
   * Closed-loop load: {@code concurrency} threads each send a request, wait for the whole answer,
   * and send the next, until {@code requests} have been sent. Each latency goes into {@code into}.
   *
   * @return wall time from the start gate to the last answer
   */
  static Duration closedLoop(int concurrency, int requests, Stats into, Op op) throws InterruptedException {
    return load(concurrency, 0, requests, into, op);
  }

  /**
   * Open-loop load at {@code rate} requests per second, sent over {@code connections} threads: the
   * k-th request is due k / rate seconds after the start, and its latency counts from then, so a
   * request that waits for a free connection or behind a stall is charged for the wait (no
   * coordinated omission). Below saturation this is latency without queueing for the cores.
   */
  static Duration pacedLoop(int connections, double rate, int requests, Stats into, Op op)
      throws InterruptedException {
    return load(connections, rate, requests, into, op);
  }

  /** {@code rate} 0: closed loop, each latency from its own send. */
  private static Duration load(int threadCount, double rate, int requests, Stats into, Op op)
      throws InterruptedException {
    AtomicInteger next = new AtomicInteger();
    CountDownLatch gate = new CountDownLatch(1);
    long[] startedAt = new long[1];
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < threadCount; t++) {
      Thread thread = new Thread(() -> {
        try {
          gate.await();
        } catch (InterruptedException e) {
          return;
        }
        int k;
        while ((k = next.getAndIncrement()) < requests) {
          long due = rate > 0 ? startedAt[0] + (long) (k * 1e9 / rate) : System.nanoTime();
          for (long wait; (wait = due - System.nanoTime()) > 0; ) {
            LockSupport.parkNanos(wait);
          }
          try {
            op.run();
            into.add(System.nanoTime() - due);
          } catch (Exception e) {
            into.fail(e);
          }
        }
      }, "bench-client-" + t);
      thread.setDaemon(true);
      threads.add(thread);
      thread.start();
    }
    startedAt[0] = System.nanoTime();
    gate.countDown();
    for (Thread thread : threads) {
      thread.join();
    }
    return Duration.ofNanos(System.nanoTime() - startedAt[0]);
  }

  /** CPU time this JVM has used so far, all threads: hub, agent, sandbox and client alike when in-process. */
  static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /** The 1/5/15-minute load averages: on a shared machine, how many others wanted the same cores. */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "?";
    }
  }

  /** Cores, memory, JVM and OS: the first thing a reader of a benchmark result needs. */
  static String machine() {
    String memory = "?";
    try {
      memory = Files.readAllLines(Path.of("/proc/meminfo")).stream()
          .filter(l -> l.startsWith("MemTotal:"))
          .map(l -> String.format(Locale.ROOT, "%.1f GiB",
              Long.parseLong(l.replaceAll("\\D", "")) / 1024.0 / 1024.0))
          .findFirst().orElse("?");
    } catch (IOException | RuntimeException ignored) {
      // Not Linux: leave it unknown.
    }
    return Runtime.getRuntime().availableProcessors() + " cores, " + memory + " RAM, Java "
        + System.getProperty("java.runtime.version") + " (" + System.getProperty("java.vm.name") + "), "
        + System.getProperty("os.name") + " " + System.getProperty("os.version");
  }

  /** A Markdown table, so the output can be pasted into BENCHMARKS.md as is. */
  static String table(List<String> header, List<List<String>> rows) {
    int[] width = new int[header.size()];
    for (int i = 0; i < width.length; i++) {
      width[i] = header.get(i).length();
      for (List<String> row : rows) {
        width[i] = Math.max(width[i], row.get(i).length());
      }
    }
    StringBuilder out = new StringBuilder();
    appendRow(out, header, width);
    List<String> rule = new ArrayList<>();
    for (int w : width) {
      rule.add("-".repeat(w));
    }
    appendRow(out, rule, width);
    rows.forEach(row -> appendRow(out, row, width));
    return out.toString();
  }

  private static void appendRow(StringBuilder out, List<String> cells, int[] width) {
    out.append('|');
    for (int i = 0; i < cells.size(); i++) {
      out.append(' ').append(String.format("%-" + width[i] + "s", cells.get(i))).append(" |");
    }
    out.append('\n');
  }

  /** Milliseconds with three decimals (microsecond resolution). */
  static String ms(double millis) {
    return String.format(Locale.ROOT, "%.3f", millis);
  }

  static String fmt(String pattern, Object... values) {
    return String.format(Locale.ROOT, pattern, values);
  }
}
