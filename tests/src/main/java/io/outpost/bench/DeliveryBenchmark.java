package io.outpost.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.tunnel.pki.Pem;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.PersonIdent;

/**
 * GitOps fan-out at scale: a 50-object bundle to 1,000 connected agents. Time from a commit (the
 * webhook call) to the first cluster Synced and to all Synced, as the hub's API shows them, and the
 * hub's heap.
 *
 * <p>Three JVMs, as in {@link HubScaleBenchmark}: this one (makes the Git repository with JGit,
 * commits, calls the webhook, polls), the hub alone ({@link HubProcess}), and the 1,000 agents
 * simulated in one JVM ({@link AgentSimulator} with {@code delivery}: each a real TunnelClient and
 * Delivery stream; bundles are "applied" into an in-memory map, see {@link SimulatedDelivery}).
 *
 * <pre>
 * java -cp "tests/target/classes:$(cat tests/target/classpath.txt)" io.outpost.bench.DeliveryBenchmark \
 *     [agents=1000] [objects=50] [commits=3]
 * </pre>
 */
public final class DeliveryBenchmark {

  private static final ObjectMapper JSON = new ObjectMapper();

  public static void main(String[] argv) {
    Bench.runAndExit(() -> run(argv));
  }

  private static void run(String[] argv) throws Exception {
    Bench.quietLogs();
    Map<String, String> args = Bench.args(argv, "agents", "objects", "commits");
    int agents = Bench.intArg(args, "agents", 1000);
    int objects = Bench.intArg(args, "objects", 50);
    int commits = Bench.intArg(args, "commits", 3);
    System.out.println("# GitOps delivery: a " + objects + "-object bundle to " + agents + " agents");
    System.out.println("machine: " + Bench.machine());
    System.out.println("load average at start: " + Bench.loadAverage());
    System.out.println("agents simulated in a separate JVM (AgentSimulator + SimulatedDelivery): real TunnelClient and"
        + " Delivery stream each, objects applied into memory, no apiserver");
    Path dir = Bench.tempDir("outpost-bench-delivery");
    try (ChildProcess hub = ChildProcess.start("hub", List.of(), HubProcess.class, List.of(dir.resolve("hub").toString()))) {
      Map<String, String> ready = hub.await("ready", Duration.ofSeconds(120));
      String url = ready.get("url");
      String admin = ready.get("admin");
      HttpClient http = Bench.httpClient(Pem.readCertificate(Path.of(ready.get("ca"))));
      ConcurrentLinkedQueue<String> tokens = new ConcurrentLinkedQueue<>();
      Stats tokenCalls = new Stats(agents);
      Bench.closedLoop(8, agents, tokenCalls, () -> tokens.add(HubScaleBenchmark.createToken(http, url, admin)));
      Path tokenFile = Files.write(dir.resolve("tokens.txt"), new ArrayList<>(tokens));

      try (ChildProcess simulator = ChildProcess.start("simulator", List.of(), AgentSimulator.class,
          List.of("127.0.0.1", ready.get("tunnelPort"), ready.get("pin"), tokenFile.toString(), "delivery"))) {
        simulator.await("joined", Duration.ofSeconds(300));
        simulator.await("connected", Duration.ofSeconds(240));
        long deadline = System.currentTimeMillis() + 240_000;
        while (HubScaleBenchmark.countReady(http, url, admin) < agents) {
          if (System.currentTimeMillis() > deadline) {
            throw new IllegalStateException("not all " + agents + " clusters were Ready after 240 s");
          }
          Thread.sleep(500);
        }
        System.err.println("all " + agents + " Ready; measuring the hub heap, then committing");
        hub.send("heap");
        Map<String, String> heapBefore = hub.await("heap", Duration.ofSeconds(60));

        Path repoDir = dir.resolve("repo");
        List<List<String>> rows = new ArrayList<>();
        List<Double> firsts = new ArrayList<>();
        List<Double> alls = new ArrayList<>();
        try (Git git = Git.init().setDirectory(repoDir.toFile()).setInitialBranch("main").call()) {
          for (int round = 0; round <= commits; round++) {
            String commit = commit(git, repoDir, objects, round);
            long t0 = System.currentTimeMillis();
            if (round == 0) {
              post(http, url + "/api/v1/sources", admin, "{\"name\":\"bench\",\"url\":" + JSON.writeValueAsString(
                  repoDir.toString()) + ",\"paths\":[\"bundle\"],\"pollInterval\":\"1h\"}");
            } else {
              post(http, url + "/api/v1/sources/bench/webhook", admin, "{}");
            }
            long[] synced = awaitSynced(http, url, admin, commit, agents, t0);
            simulator.send("applied " + commit);
            Map<String, String> applied = simulator.await("applied", Duration.ofSeconds(10));
            String label = round == 0 ? "first commit (source added)" : "commit " + round + " (webhook)";
            rows.add(List.of(label, Bench.fmt("%.2f s", synced[0] / 1e3), Bench.fmt("%.2f s", synced[1] / 1e3),
                Bench.fmt("%.2f s", (Long.parseLong(applied.get("first")) - t0) / 1e3),
                Bench.fmt("%.2f s", (Long.parseLong(applied.get("last")) - t0) / 1e3), applied.get("count")));
            if (round > 0) {
              firsts.add(synced[0] / 1e3);
              alls.add(synced[1] / 1e3);
            }
          }
        }
        hub.send("heap");
        Map<String, String> heapAfter = hub.await("heap", Duration.ofSeconds(60));
        Map<String, Long> rss = ChildProcess.memory(hub.pid());

        System.out.println();
        System.out.println(Bench.table(List.of("commit", "first Synced (hub API)", "all Synced (hub API)",
            "first applied (agent)", "last applied (agent)", "agents applied"), rows));
        System.out.println(Bench.fmt("median over %d webhook commits: first Synced %.2f s, all Synced %.2f s",
            firsts.size(), median(firsts), median(alls)));
        System.out.println(Bench.table(List.of("hub process", "before the first commit", "after " + (commits + 1)
            + " rollouts"), List.of(
            List.of("heap used after full GC", mib(heapBefore.get("used")), mib(heapAfter.get("used"))),
            List.of("heap committed", mib(heapBefore.get("committed")), mib(heapAfter.get("committed"))),
            List.of("RSS", "", mib(String.valueOf(rss.get("VmRSS") * 1024))))));
        System.out.println("load average at end: " + Bench.loadAverage());
        hub.send("quiet");
      }
    } finally {
      Bench.deleteRecursively(dir);
    }
  }

  /** Writes the bundle (round changes a value in every object) and commits it. */
  private static String commit(Git git, Path repo, int objects, int round) throws Exception {
    Path bundle = repo.resolve("bundle");
    Files.createDirectories(bundle);
    Files.writeString(bundle.resolve("outpost-bundle.yaml"),
        "name: bench\nnamespace: bench\nvalues: {round: \"" + round + "\"}\ntargets: [{}]\n", StandardCharsets.UTF_8);
    StringBuilder docs = new StringBuilder();
    for (int i = 0; i < objects; i++) {
      if (i % 2 == 0) {
        docs.append("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: config-").append(i).append("}\n")
            .append("data: {cluster: \"${cluster.name}\", round: \"${values.round}\", payload: \"")
            .append("x".repeat(200)).append("\"}\n---\n");
      } else {
        docs.append("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app-").append(i).append("}\n")
            .append("spec:\n  replicas: 2\n  selector: {matchLabels: {app: app-").append(i).append("}}\n")
            .append("  template:\n    metadata: {labels: {app: app-").append(i).append("}, annotations: {round: \"")
            .append("${values.round}\"}}\n    spec: {containers: [{name: app, image: \"nginx:1.27\"}]}\n---\n");
      }
    }
    Files.writeString(bundle.resolve("objects.yaml"), docs.toString(), StandardCharsets.UTF_8);
    git.add().addFilepattern(".").call();
    PersonIdent who = new PersonIdent("bench", "bench@example.com");
    return git.commit().setMessage("round " + round).setAuthor(who).setCommitter(who).call().getName();
  }

  /** Polls the bundle list every 100 ms; returns ms from t0 to the first and to all clusters Synced at commit. */
  private static long[] awaitSynced(HttpClient http, String url, String admin, String commit, int agents, long t0)
      throws Exception {
    long first = -1;
    long deadline = t0 + 300_000;
    while (System.currentTimeMillis() < deadline) {
      JsonNode bundles = JSON.readTree(Bench.fetch(http, URI.create(url + "/api/v1/bundles"), admin));
      for (JsonNode b : bundles) {
        if (b.path("name").asText().equals("bench") && b.path("revision").asText().equals(commit)) {
          int synced = b.path("counts").path("Synced").asInt();
          long now = System.currentTimeMillis();
          if (synced > 0 && first < 0) {
            first = now - t0;
          }
          if (synced >= agents) {
            return new long[] {first, now - t0};
          }
        }
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("not all " + agents + " clusters Synced at " + commit + " within 300 s");
  }

  private static void post(HttpClient http, String url, String admin, String body) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url))
        .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json")
        .timeout(Duration.ofSeconds(120)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException("POST " + url + " answered " + response.statusCode() + ": " + response.body());
    }
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return n == 0 ? Double.NaN : n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private static String mib(String bytes) {
    return Bench.fmt("%.1f MiB", Long.parseLong(bytes) / 1024.0 / 1024.0);
  }
}
