package io.outpost.bench;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.outpost.demo.Fleet;
import io.outpost.sandbox.SandboxCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * GET latency of one small object through the hub gateway and the tunnel, against the same GET
 * sent straight to the member's (sandbox) apiserver, at 1 and 64 concurrent clients.
 *
 * <p>Both paths run in the same process and the same minutes: each configuration is split into
 * rounds and the two paths alternate (direct first in even rounds, hub first in odd ones), so a
 * noisy neighbour or a GC hits both alike. Client, hub, agent and sandbox share the machine's
 * cores; the CPU column (this JVM's CPU time per request) is the number that noise barely moves.
 *
 * <pre>
 * java -cp "tests/target/classes:$(cat tests/target/classpath.txt)" io.outpost.bench.GatewayLatencyBenchmark \
 *     [warmup=10000] [warmupRounds=20] [n1=5000] [n64=20000] [rounds=4] [threads=0|1] [paced=0]
 * </pre>
 *
 * <p>{@code paced=R} adds a third load: 64 connections sending R requests per second in all, open
 * loop, so the two paths are compared below the machine's saturation, where the closed loop at 64
 * measures mostly queueing for the two cores.
 *
 * <p>{@code threads=1} adds where the CPU went, per request and thread group (see {@link
 * ThreadCpu}), at each concurrency.
 */
public final class GatewayLatencyBenchmark {

  private static final String CLUSTER = "bench-latency";
  private static final String PATH = "/api/v1/namespaces/default/configmaps/bench-latency";

  /**
   * One measured load: {@code clients} connections, closed loop when {@code rate} is 0, else paced
   * at {@code rate} requests per second in all (see {@link Bench#pacedLoop}).
   */
  private record Load(int clients, double rate, int requests) {
    String label() {
      return rate > 0 ? clients + " paced at " + Bench.fmt("%.0f", rate) + "/s" : String.valueOf(clients);
    }

    Duration run(Stats into, Bench.Op op) throws InterruptedException {
      return rate > 0 ? Bench.pacedLoop(clients, rate, requests, into, op) : Bench.closedLoop(clients, requests, into, op);
    }
  }

  /** A named way to the same object. */
  private record Target(String name, URI uri, String bearer) {}

  /** One path at one concurrency, summed over its rounds. */
  private static final class Result {
    final Stats stats;
    final Map<String, Long> threadNanos = new HashMap<>();
    long wallNanos;
    long cpuNanos;

    Result(int capacity) {
      this.stats = new Stats(capacity);
    }

    double rate() {
      return stats.summary().n() / (wallNanos / 1e9);
    }

    double cpuMillisPerRequest() {
      return cpuNanos / 1e6 / stats.summary().n();
    }
  }

  public static void main(String[] argv) {
    Bench.runAndExit(() -> run(argv));
  }

  private static void run(String[] argv) throws Exception {
    Bench.quietLogs();
    Map<String, String> args = Bench.args(argv, "warmup", "warmupRounds", "n1", "n64", "rounds", "threads", "paced");
    int maxWarmupRounds = Bench.intArg(args, "warmupRounds", 20);
    boolean threads = Bench.intArg(args, "threads", 0) == 1;
    int warmup = Bench.intArg(args, "warmup", 10_000);
    int rounds = Bench.intArg(args, "rounds", 4);
    int n64 = Bench.intArg(args, "n64", 20_000);
    int paced = Bench.intArg(args, "paced", 0);
    List<Load> loads = new ArrayList<>(List.of(new Load(1, 0, Bench.intArg(args, "n1", 5000)), new Load(64, 0, n64)));
    if (paced > 0) {
      loads.add(new Load(64, paced, n64));
    }

    System.out.println("# Gateway GET latency: hub + tunnel vs direct");
    System.out.println("machine: " + Bench.machine());
    System.out.println("load average at start: " + Bench.loadAverage());
    Path dir = Bench.tempDir("outpost-bench-latency");
    try (Fleet fleet = Fleet.start(dir, List.of(Fleet.Member.of(CLUSTER, "edge", Map.of())), hub -> hub, agent -> agent)) {
      if (!fleet.agent(CLUSTER).awaitConnected(Duration.ofSeconds(30))) {
        throw new IllegalStateException("the agent did not connect within 30 s: " + fleet.agent(CLUSTER).tunnel().lastError());
      }
      SandboxCluster sandbox = fleet.sandbox(CLUSTER);
      // A modest object, about the size of a typical ConfigMap (~1 KB of JSON).
      sandbox.client().configMaps().inNamespace("default").resource(new ConfigMapBuilder()
          .withNewMetadata().withName("bench-latency").addToLabels("app", "bench").endMetadata()
          .addToData("settings.yaml", "key: value\n".repeat(80))
          .build()).create();

      HttpClient http = Bench.httpClient(fleet.hub().pki().ca().certificate());
      Target direct = new Target("direct", URI.create(sandbox.url() + PATH), SandboxCluster.TOKEN);
      Target hub = new Target("hub", URI.create(fleet.hub().url() + "/clusters/" + CLUSTER + "/k8s" + PATH),
          fleet.adminToken());
      byte[] viaDirect = Bench.fetch(http, direct.uri(), direct.bearer());
      byte[] viaHub = Bench.fetch(http, hub.uri(), hub.bearer());
      if (!Arrays.equals(viaDirect, viaHub)) {
        throw new IllegalStateException("the hub answered " + viaHub.length + " bytes, the apiserver "
            + viaDirect.length + ": the gateway changed the body");
      }
      System.out.println("object: GET " + PATH + " (" + viaDirect.length + " bytes of JSON, identical both ways)");
      System.out.println("direct: " + direct.uri() + "\nhub:    " + hub.uri());

      // Warm-up until the JIT has settled (see Bench.warmUntilJitSettles): after a fixed 20,000
      // requests its threads still took 2.3 ms of CPU per 1-client hub request. At 64 clients it
      // also opens each path's 64 pooled connections (TLS handshakes stay out).
      int warmRounds = Bench.warmUntilJitSettles(maxWarmupRounds, () -> {
        for (Target target : List.of(direct, hub)) {
          for (int concurrency : new int[] {64, 1}) {
            Stats warm = new Stats(warmup);
            Bench.closedLoop(concurrency, concurrency == 1 ? warmup / 10 : warmup, warm,
                () -> Bench.fetch(http, target.uri(), target.bearer()));
            if (warm.failures() > 0) {
              throw new IllegalStateException("warm-up of " + target.name() + ": " + warm.failures()
                  + " failures, first: " + warm.firstFailure());
            }
          }
        }
      });
      System.out.println("warm-up: " + warmRounds + " rounds of " + warmup + " requests per path at 64 clients and "
          + warmup / 10 + " at 1, until compiling took under " + Bench.fmt("%.0f %%", 100 * Bench.JIT_SETTLED)
          + " of a round (at most " + maxWarmupRounds + " rounds)\n");

      List<List<String>> rows = new ArrayList<>();
      List<List<String>> overheads = new ArrayList<>();
      double[] p50Overhead = new double[loads.size()];
      double[] p99Overhead = new double[loads.size()];
      List<String> threadTables = new ArrayList<>();
      for (int c = 0; c < loads.size(); c++) {
        Load load = loads.get(c);
        int perRound = load.requests() / rounds;
        Load round = new Load(load.clients(), load.rate(), perRound);
        Result d = new Result(perRound * rounds);
        Result h = new Result(perRound * rounds);
        for (int r = 0; r < rounds; r++) {
          for (Target target : r % 2 == 0 ? List.of(direct, hub) : List.of(hub, direct)) {
            Result into = target == direct ? d : h;
            Map<String, Long> before = threads ? ThreadCpu.snapshot() : Map.of();
            long cpu = Bench.processCpuNanos();
            Duration took = round.run(into.stats, () -> Bench.fetch(http, target.uri(), target.bearer()));
            into.wallNanos += took.toNanos();
            into.cpuNanos += Bench.processCpuNanos() - cpu;
            if (threads) {
              ThreadCpu.since(before).forEach((group, nanos) -> into.threadNanos.merge(group, nanos, Long::sum));
            }
          }
        }
        for (Target target : List.of(direct, hub)) {
          Result r = target == direct ? d : h;
          Stats.Summary s = r.stats.summary();
          rows.add(List.of(load.label(), target.name(), String.valueOf(s.n()), Bench.ms(s.p50()),
              Bench.ms(s.p90()), Bench.ms(s.p99()), Bench.ms(s.max()), Bench.fmt("%.0f", r.rate()),
              Bench.ms(r.cpuMillisPerRequest()), String.valueOf(r.stats.failures())));
          if (r.stats.failures() > 0) {
            System.out.println("failures on " + target.name() + " at " + load.label() + " clients: "
                + r.stats.failures() + ", first: " + r.stats.firstFailure());
          }
        }
        Stats.Summary ds = d.stats.summary();
        Stats.Summary hs = h.stats.summary();
        if (threads) {
          threadTables.add("CPU µs per request by thread group at " + load.label() + " client(s) (/proc/self/task"
              + " schedstat, " + ds.n() + " requests per path):\n" + ThreadCpu.table(d.threadNanos, h.threadNanos, ds.n(), 1e3));
        }
        p50Overhead[c] = hs.p50() - ds.p50();
        p99Overhead[c] = hs.p99() - ds.p99();
        overheads.add(List.of(load.label(), Bench.ms(p50Overhead[c]), Bench.ms(hs.p90() - ds.p90()),
            Bench.ms(p99Overhead[c]), Bench.fmt("%.0f %%", 100 * h.rate() / d.rate()),
            Bench.fmt("%.1f×", h.cpuMillisPerRequest() / d.cpuMillisPerRequest())));
      }

      System.out.println("Latency per GET in ms (paced: from when each request was due); req/s is throughput; cpu ms/req is this JVM's CPU"
          + " time (client + hub + agent + sandbox, JIT compiler and GC included) per request (" + rounds
          + " alternating rounds):\n");
      System.out.println(Bench.table(List.of("clients", "path", "requests", "p50", "p90", "p99", "max", "req/s",
          "cpu ms/req", "errors"), rows));
      System.out.println("Overhead of hub + tunnel (hub − direct), ms:\n");
      System.out.println(Bench.table(List.of("clients", "p50", "p90", "p99", "hub req/s vs direct",
          "hub cpu/req vs direct"), overheads));
      System.out.println("Goal at 64 clients (closed loop): p50 overhead <= 1 ms: " + verdict(p50Overhead[1], 1)
          + "; p99 overhead <= 5 ms: " + verdict(p99Overhead[1], 5));
      if (paced > 0) {
        System.out.println("At 64 clients paced at " + paced + " req/s: p50 overhead " + verdict(p50Overhead[2], 1)
            + ", p99 overhead " + verdict(p99Overhead[2], 5));
      }
      threadTables.forEach(System.out::println);
      System.out.println("load average at end: " + Bench.loadAverage());
    } finally {
      Bench.deleteRecursively(dir);
    }
  }

  private static String verdict(double overhead, double goal) {
    return (overhead <= goal ? "MET" : "NOT MET") + " (" + Bench.ms(overhead) + " ms)";
  }
}
