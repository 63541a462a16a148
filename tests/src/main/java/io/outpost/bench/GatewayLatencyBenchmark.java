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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GET latency of one small object through the hub gateway and the tunnel, against the same GET
 * sent straight to the member's (sandbox) apiserver, at 1 and 64 concurrent clients.
 *
 * <p>Both paths run in the same process and the same minute: the measurement is split into rounds
 * and the two paths alternate (direct first in even rounds, hub first in odd ones), so a noisy
 * neighbour or a GC hits both alike. Everything (client, hub, agent, sandbox) shares the machine's
 * cores, as the overhead we want is what the hub and agent add in CPU and hops.
 *
 * <pre>
 * java -cp "tests/target/classes:$(cat tests/target/classpath.txt)" io.outpost.bench.GatewayLatencyBenchmark \
 *     [warmup=2000] [n1=5000] [n64=20000] [rounds=4]
 * </pre>
 */
public final class GatewayLatencyBenchmark {

  private static final String CLUSTER = "bench-latency";
  private static final String PATH = "/api/v1/namespaces/default/configmaps/bench-latency";

  /** A named way to the same object. */
  private record Target(String name, URI uri, String bearer) {}

  public static void main(String[] argv) throws Exception {
    Bench.quietLogs();
    Map<String, String> args = Bench.args(argv, "warmup", "n1", "n64", "rounds");
    int warmup = Bench.intArg(args, "warmup", 2000);
    int rounds = Bench.intArg(args, "rounds", 4);
    Map<Integer, Integer> requestsAt = new LinkedHashMap<>();
    requestsAt.put(1, Bench.intArg(args, "n1", 5000));
    requestsAt.put(64, Bench.intArg(args, "n64", 20000));

    System.out.println("# Gateway GET latency: hub + tunnel vs direct");
    System.out.println("machine: " + Bench.machine());
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

      // Warm-up at full concurrency: JIT, and the 64 pooled connections of each path opened.
      for (Target target : List.of(direct, hub)) {
        Stats ignored = new Stats(warmup);
        Bench.closedLoop(64, warmup, ignored, () -> Bench.fetch(http, target.uri(), target.bearer()));
        if (ignored.failures() > 0) {
          throw new IllegalStateException("warm-up of " + target.name() + ": " + ignored.failures()
              + " failures, first: " + ignored.firstFailure());
        }
      }
      System.out.println("warm-up: " + warmup + " requests per path at 64 concurrent\n");

      List<List<String>> rows = new ArrayList<>();
      List<List<String>> overheads = new ArrayList<>();
      for (Map.Entry<Integer, Integer> config : requestsAt.entrySet()) {
        int concurrency = config.getKey();
        int perRound = config.getValue() / rounds;
        Map<String, Stats> stats = new LinkedHashMap<>();
        Map<String, Duration> wall = new LinkedHashMap<>();
        for (Target target : List.of(direct, hub)) {
          stats.put(target.name(), new Stats(perRound * rounds));
          wall.put(target.name(), Duration.ZERO);
        }
        for (int round = 0; round < rounds; round++) {
          List<Target> order = round % 2 == 0 ? List.of(direct, hub) : List.of(hub, direct);
          for (Target target : order) {
            Duration took = Bench.closedLoop(concurrency, perRound, stats.get(target.name()),
                () -> Bench.fetch(http, target.uri(), target.bearer()));
            wall.merge(target.name(), took, Duration::plus);
          }
        }
        Map<String, Stats.Summary> summaries = new LinkedHashMap<>();
        Map<String, Double> rates = new LinkedHashMap<>();
        for (String name : stats.keySet()) {
          Stats s = stats.get(name);
          Stats.Summary summary = s.summary();
          double rate = summary.n() / (wall.get(name).toNanos() / 1e9);
          summaries.put(name, summary);
          rates.put(name, rate);
          rows.add(List.of(String.valueOf(concurrency), name, String.valueOf(summary.n()),
              Bench.ms(summary.p50()), Bench.ms(summary.p90()), Bench.ms(summary.p99()), Bench.ms(summary.max()),
              Bench.fmt("%.0f", rate), String.valueOf(s.failures())));
          if (s.failures() > 0) {
            System.out.println("failures on " + name + " at " + concurrency + ": " + s.failures() + ", first: "
                + s.firstFailure());
          }
        }
        Stats.Summary d = summaries.get("direct");
        Stats.Summary h = summaries.get("hub");
        overheads.add(List.of(String.valueOf(concurrency), Bench.ms(h.p50() - d.p50()), Bench.ms(h.p90() - d.p90()),
            Bench.ms(h.p99() - d.p99()), Bench.fmt("%.0f %%", 100 * rates.get("hub") / rates.get("direct"))));
      }

      System.out.println("Latency per GET in ms (" + rounds + " alternating rounds per configuration):\n");
      System.out.println(Bench.table(List.of("clients", "path", "requests", "p50", "p90", "p99", "max", "req/s",
          "errors"), rows));
      System.out.println("Overhead of hub + tunnel (hub − direct), ms:\n");
      System.out.println(Bench.table(List.of("clients", "p50", "p90", "p99", "hub req/s vs direct"), overheads));
      List<String> at64 = overheads.get(overheads.size() - 1);
      double p50 = Double.parseDouble(at64.get(1));
      double p99 = Double.parseDouble(at64.get(3));
      System.out.println("Goal at 64 clients: p50 overhead <= 1 ms: " + (p50 <= 1 ? "MET" : "NOT MET") + " ("
          + at64.get(1) + " ms); p99 overhead <= 5 ms: " + (p99 <= 5 ? "MET" : "NOT MET") + " (" + at64.get(3) + " ms)");
    } finally {
      Bench.deleteRecursively(dir);
    }
  }
}
