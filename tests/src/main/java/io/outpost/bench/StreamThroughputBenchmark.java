package io.outpost.bench;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.outpost.demo.Fleet;
import io.outpost.sandbox.SandboxCluster;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Throughput of one large response (a LIST of ~50 MB of ConfigMaps) streamed through the hub and
 * the tunnel, against the same LIST read straight from the sandbox apiserver.
 *
 * <p>The body is read as a stream and only counted, never held, so the client costs the same on
 * both paths. Runs alternate between the paths (direct first, then hub first) after a warm-up.
 * Time to first byte is reported too: the sandbox builds the whole answer before sending, so most
 * of the direct path's time is spent before the first byte; through the hub the agent forwards
 * in 64 KiB frames as it reads.
 *
 * <pre>
 * java -cp "tests/target/classes:$(cat tests/target/classpath.txt)" io.outpost.bench.StreamThroughputBenchmark \
 *     [objects=50] [kib=1000] [warmup=40] [settleRounds=10] [runs=5] [threads=0|1] [upstream=http|https]
 * </pre>
 *
 * <p>{@code upstream=https} makes the sandbox apiserver serve HTTPS, as a real one does: the direct
 * read and the agent's read then both pay TLS, where by default (plain HTTP) only the hub path does.
 * {@code threads=1} adds where the CPU went, per read and thread group (see {@link ThreadCpu}).
 */
public final class StreamThroughputBenchmark {

  private static final String CLUSTER = "bench-stream";
  private static final String NAMESPACE = "bench-stream";
  private static final String PATH = "/api/v1/namespaces/" + NAMESPACE + "/configmaps";
  /**
   * Reads per path before measuring. After 10, C2 was still compiling the hub path: its compiler
   * threads spent about 300 ms per measured hub read (100 ms per direct one), more than the tunnel
   * itself. After 40 they spend 10-70 ms per read (BENCHMARKS.md §2); rounds of {@value
   * #SETTLE_READS} more follow until the JIT has settled (see {@link Bench#warmUntilJitSettles}).
   */
  private static final int DEFAULT_WARMUP = 40;
  private static final int SETTLE_READS = 10;

  /**
   * One LIST read: bytes counted, time to the response head and to the last byte, and the CPU
   * time this JVM (client, hub, agent and sandbox) spent meanwhile.
   */
  private record Read(long bytes, long headNanos, long totalNanos, long cpuNanos) {
    double megabytesPerSecond() {
      return bytes / 1e6 / (totalNanos / 1e9);
    }

    /** CPU seconds spent per read: unlike MB/s, barely moved by other processes wanting the cores. */
    double cpuSeconds() {
      return cpuNanos / 1e9;
    }
  }

  public static void main(String[] argv) {
    Bench.runAndExit(() -> run(argv));
  }

  private static void run(String[] argv) throws Exception {
    Bench.quietLogs();
    Map<String, String> args = Bench.args(argv, "objects", "kib", "warmup", "settleRounds", "runs", "threads", "upstream");
    int maxSettleRounds = Bench.intArg(args, "settleRounds", 10);
    int objects = Bench.intArg(args, "objects", 50);
    int kib = Bench.intArg(args, "kib", 1000);
    int warmup = Bench.intArg(args, "warmup", DEFAULT_WARMUP);
    int runs = Bench.intArg(args, "runs", 5);
    boolean threads = Bench.intArg(args, "threads", 0) == 1;
    String upstream = args.getOrDefault("upstream", "http");
    if (!upstream.equals("http") && !upstream.equals("https")) {
      throw new IllegalArgumentException("upstream=" + upstream + ": expected http or https");
    }

    System.out.println("# Streaming a large LIST: hub + tunnel vs direct");
    System.out.println("machine: " + Bench.machine());
    System.out.println("load average at start: " + Bench.loadAverage());
    Path dir = Bench.tempDir("outpost-bench-stream");
    Fleet.Member member = Fleet.Member.of(CLUSTER, "edge", Map.of());
    try (Fleet fleet = Fleet.start(dir, List.of(upstream.equals("https") ? member.withHttpsApiserver() : member),
        hub -> hub, agent -> agent)) {
      if (!fleet.agent(CLUSTER).awaitConnected(Duration.ofSeconds(30))) {
        throw new IllegalStateException("the agent did not connect within 30 s: " + fleet.agent(CLUSTER).tunnel().lastError());
      }
      SandboxCluster sandbox = fleet.sandbox(CLUSTER);
      seed(sandbox.client(), objects, kib);

      HttpClient http = Bench.httpClient(fleet.hub().pki().ca().certificate());
      // Same client settings on both paths; with upstream=https this one trusts the sandbox's CA.
      HttpClient directHttp = sandbox.caCertificate().map(Bench::httpClient).orElse(http);
      URI direct = URI.create(sandbox.url() + PATH);
      URI hub = URI.create(fleet.hub().url() + "/clusters/" + CLUSTER + "/k8s" + PATH);
      System.out.println("LIST " + PATH + ": " + objects + " ConfigMaps of " + kib + " KiB each; apiserver (direct): "
          + sandbox.url());

      for (int i = 0; i < warmup; i++) {
        read(directHttp, direct, SandboxCluster.TOKEN);
        read(http, hub, fleet.adminToken());
      }
      int settleRounds = Bench.warmUntilJitSettles(maxSettleRounds, () -> {
        for (int i = 0; i < SETTLE_READS; i++) {
          read(directHttp, direct, SandboxCluster.TOKEN);
          read(http, hub, fleet.adminToken());
        }
      });
      List<Read> viaDirect = new ArrayList<>();
      List<Read> viaHub = new ArrayList<>();
      List<List<String>> rows = new ArrayList<>();
      Map<String, Long> directThreads = new HashMap<>();
      Map<String, Long> hubThreads = new HashMap<>();
      for (int run = 1; run <= runs; run++) {
        boolean directFirst = run % 2 == 1;
        for (int leg = 0; leg < 2; leg++) {
          boolean isDirect = (leg == 0) == directFirst;
          Map<String, Long> before = threads ? ThreadCpu.snapshot() : Map.of();
          Read r = isDirect ? read(directHttp, direct, SandboxCluster.TOKEN) : read(http, hub, fleet.adminToken());
          if (threads) {
            ThreadCpu.since(before).forEach((group, nanos) -> (isDirect ? directThreads : hubThreads)
                .merge(group, nanos, Long::sum));
          }
          (isDirect ? viaDirect : viaHub).add(r);
          rows.add(List.of(String.valueOf(run), isDirect ? "direct" : "hub", String.valueOf(r.bytes()),
              Bench.ms(r.headNanos() / 1e6), Bench.ms(r.totalNanos() / 1e6), Bench.fmt("%.1f", r.megabytesPerSecond()),
              Bench.fmt("%.2f", r.cpuSeconds())));
        }
      }
      long expected = viaDirect.get(0).bytes();
      boolean allMatch = viaDirect.stream().allMatch(r -> r.bytes() == expected)
          && viaHub.stream().allMatch(r -> r.bytes() == expected);

      System.out.println("warm-up: " + (warmup + settleRounds * SETTLE_READS) + " reads per path (" + warmup
          + ", then rounds of " + SETTLE_READS + " until the JIT had settled); MB = 10^6 bytes; cpu s = CPU time of this JVM"
          + " (client + hub + agent + sandbox) during the read\n");
      System.out.println(Bench.table(List.of("run", "path", "bytes", "first byte ms", "total ms", "MB/s",
          "cpu s"), rows));
      double directRate = Stats.median(viaDirect.stream().mapToDouble(Read::megabytesPerSecond).toArray());
      double hubRate = Stats.median(viaHub.stream().mapToDouble(Read::megabytesPerSecond).toArray());
      double directCpu = Stats.median(viaDirect.stream().mapToDouble(Read::cpuSeconds).toArray());
      double hubCpu = Stats.median(viaHub.stream().mapToDouble(Read::cpuSeconds).toArray());
      double directHead = Stats.median(viaDirect.stream().mapToDouble(r -> r.headNanos() / 1e6).toArray());
      double hubHead = Stats.median(viaHub.stream().mapToDouble(r -> r.headNanos() / 1e6).toArray());
      System.out.println(Bench.table(List.of("median of " + runs, "MB/s", "first byte ms", "cpu s"), List.of(
          List.of("direct", Bench.fmt("%.1f", directRate), Bench.ms(directHead), Bench.fmt("%.2f", directCpu)),
          List.of("hub", Bench.fmt("%.1f", hubRate), Bench.ms(hubHead), Bench.fmt("%.2f", hubCpu)))));
      double ratio = hubRate / directRate;
      System.out.println("hub / direct: " + Bench.fmt("%.0f %%", 100 * ratio) + " — goal >= 70 %: "
          + (ratio >= 0.70 ? "MET" : "NOT MET"));
      System.out.println("byte counts: " + (allMatch ? "all " + expected + " bytes, identical on both paths"
          : "MISMATCH — direct " + viaDirect.stream().map(Read::bytes).toList() + ", hub "
          + viaHub.stream().map(Read::bytes).toList()));
      if (threads) {
        System.out.println("CPU ms per read by thread group (/proc/self/task schedstat, mean of " + runs + " reads):\n"
            + ThreadCpu.table(directThreads, hubThreads, runs, 1e6));
      }
      System.out.println("load average at end: " + Bench.loadAverage());
    } finally {
      Bench.deleteRecursively(dir);
    }
  }

  /** CPU ms per read by thread group, both paths, largest hub figure first; groups under 1 ms on both left out. */

  /** Creates the namespace and its ConfigMaps; random letters, so nothing on the way can compress them. */
  private static void seed(KubernetesClient client, int objects, int kib) {
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
        .create();
    Random random = new Random(42);
    for (int i = 0; i < objects; i++) {
      char[] blob = new char[kib * 1024];
      for (int j = 0; j < blob.length; j++) {
        blob[j] = (char) ('a' + random.nextInt(26));
      }
      Map<String, String> data = new HashMap<>();
      data.put("blob", new String(blob));
      client.configMaps().inNamespace(NAMESPACE).resource(new ConfigMapBuilder()
          .withNewMetadata().withName(String.format("blob-%03d", i)).endMetadata()
          .withData(data)
          .build()).create();
    }
  }

  private static Read read(HttpClient http, URI uri, String bearer) throws Exception {
    long cpu = Bench.processCpuNanos();
    long start = System.nanoTime();
    HttpResponse<InputStream> response = http.send(Bench.get(uri, bearer), HttpResponse.BodyHandlers.ofInputStream());
    long head = System.nanoTime() - start;
    try (InputStream body = response.body()) {
      long bytes = Bench.drain(body);
      if (response.statusCode() != 200) {
        throw new IllegalStateException("LIST " + uri + " answered " + response.statusCode());
      }
      return new Read(bytes, head, System.nanoTime() - start, Bench.processCpuNanos() - cpu);
    }
  }
}
