package io.outpost.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.tunnel.pki.Pem;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The hub's memory and CPU with 1,000 agents connected and heartbeating, and gateway latency
 * while they are.
 *
 * <p>Three JVMs: this one (orchestrates, creates tokens, polls, sends GETs), the hub alone in its
 * own ({@link HubProcess}, so its RSS and CPU are the hub's only), and one that simulates all the
 * agents ({@link AgentSimulator}: one TunnelClient, gRPC channel and TLS session per agent, as real
 * agents have, but no apiserver behind them). All three share the machine's cores.
 *
 * <pre>
 * java -cp "tests/target/classes:$(cat tests/target/classpath.txt)" io.outpost.bench.HubScaleBenchmark \
 *     [agents=1000] [settle=70] [window=30] [gets=1000] [hubJvm=-Xmx256m,-Xss256k]   (hub JVM flags, comma-separated;
 *     none by default: JVM ergonomics)
 * </pre>
 */
public final class HubScaleBenchmark {

  private static final ObjectMapper JSON = new ObjectMapper();

  public static void main(String[] argv) {
    Bench.runAndExit(() -> run(argv));
  }

  private static void run(String[] argv) throws Exception {
    Bench.quietLogs();
    Map<String, String> args = Bench.args(argv, "agents", "settle", "window", "gets", "hubJvm");
    int agents = Bench.intArg(args, "agents", 1000);
    // gRPC's default executor keeps an idle thread for 60 s: settle longer than that after the
    // connect burst, so "steady" really is the steady state.
    int settle = Bench.intArg(args, "settle", 70);
    int window = Bench.intArg(args, "window", 30);
    int gets = Bench.intArg(args, "gets", 1000);
    List<String> hubFlags = args.getOrDefault("hubJvm", "").isEmpty()
        ? List.of() : List.of(args.get("hubJvm").split(","));

    System.out.println("# Hub with " + agents + " agents connected and heartbeating");
    System.out.println("machine: " + Bench.machine());
    System.out.println("load average at start: " + Bench.loadAverage());
    System.out.println("hub JVM flags: " + (hubFlags.isEmpty() ? "(none: JVM defaults)" : String.join(" ", hubFlags))
        + "; agents simulated in a separate JVM (AgentSimulator), one TunnelClient and gRPC channel each");
    Path dir = Bench.tempDir("outpost-bench-scale");
    try (ChildProcess hub = ChildProcess.start("hub", hubFlags, HubProcess.class, List.of(dir.resolve("hub").toString()))) {
      Map<String, String> ready = hub.await("ready", Duration.ofSeconds(120));
      String url = ready.get("url");
      String admin = ready.get("admin");
      HttpClient http = Bench.httpClient(Pem.readCertificate(Path.of(ready.get("ca"))));

      Snapshot idle = snapshot(hub);

      // Bootstrap tokens through the REST API, as an operator's script would make them.
      long tokenStart = System.nanoTime();
      ConcurrentLinkedQueue<String> tokens = new ConcurrentLinkedQueue<>();
      Stats tokenCalls = new Stats(agents);
      Bench.closedLoop(8, agents, tokenCalls, () -> tokens.add(createToken(http, url, admin)));
      if (tokenCalls.failures() > 0) {
        throw new IllegalStateException("token creation failed " + tokenCalls.failures() + " times: "
            + tokenCalls.firstFailure());
      }
      Duration tokenTime = Duration.ofNanos(System.nanoTime() - tokenStart);
      Path tokenFile = Files.write(dir.resolve("tokens.txt"), new ArrayList<>(tokens));
      System.err.println("hub up (pid " + hub.pid() + "), " + agents + " tokens created; simulator joining");

      Duration hubCpuBefore = ChildProcess.cpu(hub.pid());
      try (ChildProcess simulator = ChildProcess.start("simulator", List.of(), AgentSimulator.class,
          List.of("127.0.0.1", ready.get("tunnelPort"), ready.get("pin"), tokenFile.toString()))) {
        Map<String, String> joined = simulator.await("joined", Duration.ofSeconds(300));
        Duration hubCpuJoin = ChildProcess.cpu(hub.pid()).minus(hubCpuBefore);
        long connectingAt = Long.parseLong(simulator.await("connecting", Duration.ofSeconds(30)).get("at"));
        System.err.println("joined " + joined.get("count") + " clusters in " + joined.get("ms") + " ms; agents connecting");
        Duration hubCpuConnectStart = ChildProcess.cpu(hub.pid());

        // All Ready as the hub's own API shows them, polled twice a second.
        long allReadyAt = 0;
        int readyCount = 0;
        long pollDeadline = System.currentTimeMillis() + 240_000;
        long nextProgress = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < pollDeadline) {
          readyCount = countReady(http, url, admin);
          if (readyCount >= agents) {
            allReadyAt = System.currentTimeMillis();
            break;
          }
          if (System.currentTimeMillis() > nextProgress) {
            System.err.println(readyCount + " of " + agents + " Ready after "
                + (System.currentTimeMillis() - connectingAt) / 1000 + " s");
            nextProgress += 10_000;
          }
          Thread.sleep(500);
        }
        Duration hubCpuConnect = ChildProcess.cpu(hub.pid()).minus(hubCpuConnectStart);
        if (allReadyAt == 0) {
          throw new IllegalStateException("only " + readyCount + " of " + agents + " clusters were Ready after 240 s");
        }
        Map<String, Long> burstMemory = ChildProcess.memory(hub.pid());
        String steady = agents + " agents, steady";
        Map<String, String> connected = simulator.await("connected", Duration.ofSeconds(60));

        System.err.println("all Ready; settling " + settle + " s, then measuring hub CPU over " + window
            + " s (hub pid " + hub.pid() + ")");
        Thread.sleep(settle * 1000L);
        Duration hubCpu0 = ChildProcess.cpu(hub.pid());
        Duration simCpu0 = ChildProcess.cpu(simulator.pid());
        Thread.sleep(window * 1000L);
        double hubCores = ChildProcess.cpu(hub.pid()).minus(hubCpu0).toNanos() / (window * 1e9);
        double simCores = ChildProcess.cpu(simulator.pid()).minus(simCpu0).toNanos() / (window * 1e9);
        Snapshot loaded = snapshot(hub);
        Map<String, Long> simMemory = ChildProcess.memory(simulator.pid());

        // Gateway GETs to random clusters while all are connected.
        List<List<String>> getRows = new ArrayList<>();
        for (int concurrency : new int[] {1, 16}) {
          Stats warm = new Stats(gets);
          Bench.closedLoop(concurrency, gets, warm, () -> getRandom(http, url, admin, agents));
          Stats s = new Stats(gets);
          Duration took = Bench.closedLoop(concurrency, gets, s, () -> getRandom(http, url, admin, agents));
          Stats.Summary sum = s.summary();
          getRows.add(List.of(String.valueOf(concurrency), String.valueOf(sum.n()), Bench.ms(sum.p50()),
              Bench.ms(sum.p90()), Bench.ms(sum.p99()), Bench.ms(sum.max()),
              Bench.fmt("%.0f", sum.n() / (took.toNanos() / 1e9)), String.valueOf(s.failures())));
          if (s.failures() > 0) {
            System.out.println("GET failures at " + concurrency + " clients: " + s.failures() + ", first: "
                + s.firstFailure());
          }
        }
        int readyAtEnd = countReady(http, url, admin);
        simulator.send("states");
        Map<String, String> states = simulator.await("states", Duration.ofSeconds(10));

        System.out.println();
        System.out.println(Bench.table(List.of("phase", "result"), List.of(
            List.of("create " + agents + " bootstrap tokens (REST, 8 parallel)", Bench.fmt("%.1f s", tokenTime.toMillis() / 1e3)),
            List.of("join " + agents + " clusters (JoinClient, 8 parallel)", Bench.fmt("%.1f s (hub CPU %.1f s)",
                Long.parseLong(joined.get("ms")) / 1e3, hubCpuJoin.toMillis() / 1e3)),
            List.of("all connected (agents' view: welcome received)", Bench.fmt("%.1f s",
                (Long.parseLong(connected.get("at")) - connectingAt) / 1e3)),
            List.of("all Ready (hub API /api/v1/clusters, polled every 0.5 s)", Bench.fmt("%.1f s (hub CPU %.1f s)",
                (allReadyAt - connectingAt) / 1e3, hubCpuConnect.toMillis() / 1e3)))));
        System.out.println(Bench.table(List.of("hub process", "idle (0 agents)", "all just Ready", steady,
            "per agent (steady − idle)"), List.of(
            memoryRow("heap used after full GC", idle.heap().get("used"), null, loaded.heap().get("used"), agents),
            memoryRow("heap committed after full GC", idle.heap().get("committed"), null,
                loaded.heap().get("committed"), agents),
            memoryRow("non-heap used", idle.heap().get("nonheap"), null, loaded.heap().get("nonheap"), agents),
            memoryRow("RSS (VmRSS)", idle.rss(), kib(burstMemory.get("VmRSS")), loaded.rss(), agents),
            memoryRow("RSS 5 s after a full GC", idle.rssAfterGc(), null, loaded.rssAfterGc(), agents),
            memoryRow("peak RSS (VmHWM)", idle.peakRss(), kib(burstMemory.get("VmHWM")), loaded.peakRss(), agents),
            List.of("threads", idle.threads(), String.valueOf(burstMemory.get("Threads")), loaded.threads(), ""),
            List.of("CPU, heartbeating, over " + window + " s", "", "",
                Bench.fmt("%.1f %% of one core", 100 * hubCores), ""))));
        System.out.println("hub Java threads by name, largest groups: " + loaded.heap().get("threads") + "\n");
        System.out.println(Bench.table(List.of("simulator process (not the hub)", "value"), List.of(
            List.of("RSS", mib(kib(simMemory.get("VmRSS")))),
            List.of("threads", String.valueOf(simMemory.get("Threads"))),
            List.of("CPU, steady", Bench.fmt("%.1f %% of one core", 100 * simCores)))));
        System.out.println("Gateway GET to a random one of " + agents + " clusters (fixed 70-byte answer from the"
            + " simulated agent), ms, after " + gets + " warm-up GETs:\n");
        System.out.println(Bench.table(List.of("clients", "requests", "p50", "p90", "p99", "max", "req/s", "errors"),
            getRows));
        System.out.println("still connected: hub sessions after the CPU window " + loaded.heap().get("sessions") + ", Ready in API at the end "
            + readyAtEnd + ", simulator CONNECTED at the end " + states.get("connected") + " (other states " + states.get("other") + ")");
        System.out.println("load average at end: " + Bench.loadAverage());
        hub.send("quiet");
      }
    } finally {
      Bench.deleteRecursively(dir);
    }
  }

  /**
   * The hub's memory: RSS as it is (what an operator sees), then the heap after a full GC, then
   * RSS again 5 s later — G1 hands freed regions back to the OS in the background, not at once.
   * Sizes in bytes, as strings.
   */
  private record Snapshot(String rss, String peakRss, String threads, Map<String, String> heap, String rssAfterGc) {}

  private static Snapshot snapshot(ChildProcess hub) throws InterruptedException {
    Map<String, Long> before = ChildProcess.memory(hub.pid());
    hub.send("heap");
    Map<String, String> heap = hub.await("heap", Duration.ofSeconds(60));
    Thread.sleep(5000);
    return new Snapshot(kib(before.get("VmRSS")), kib(before.get("VmHWM")), String.valueOf(before.get("Threads")),
        heap, kib(ChildProcess.memory(hub.pid()).get("VmRSS")));
  }

  static String createToken(HttpClient http, String url, String admin) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/api/v1/tokens"))
        .header("Authorization", "Bearer " + admin)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"ttl\":\"1h\",\"description\":\"scale benchmark\"}"))
        .build();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 201) {
      throw new IllegalStateException("POST /api/v1/tokens answered " + response.statusCode() + ": " + response.body());
    }
    return JSON.readTree(response.body()).get("token").asText();
  }

  static int countReady(HttpClient http, String url, String admin) throws Exception {
    JsonNode clusters = JSON.readTree(Bench.fetch(http, URI.create(url + "/api/v1/clusters"), admin));
    int ready = 0;
    for (JsonNode cluster : clusters) {
      if ("Ready".equals(cluster.path("status").asText())) {
        ready++;
      }
    }
    return ready;
  }

  private static void getRandom(HttpClient http, String url, String admin, int agents) throws Exception {
    String cluster = AgentSimulator.clusterName(ThreadLocalRandom.current().nextInt(agents));
    Bench.fetch(http, URI.create(url + "/clusters/" + cluster + "/k8s/api/v1/namespaces/default/configmaps/x"), admin);
  }

  private static String kib(Long kib) {
    return String.valueOf(kib * 1024);
  }

  private static String mib(String bytes) {
    return Bench.fmt("%.1f MiB", Long.parseLong(bytes) / 1024.0 / 1024.0);
  }

  /** A row of byte counts; {@code burstBytes} may be null (not measured then: a full GC would disturb it). */
  private static List<String> memoryRow(String what, String idleBytes, String burstBytes, String steadyBytes,
      int agents) {
    long delta = Long.parseLong(steadyBytes) - Long.parseLong(idleBytes);
    return Arrays.asList(what, mib(idleBytes), burstBytes == null ? "" : mib(burstBytes), mib(steadyBytes),
        Bench.fmt("%.1f KiB", delta / 1024.0 / agents));
  }
}
