package io.outpost.bench;

import io.grpc.ChannelCredentials;
import io.outpost.tunnel.TunnelLimits;
import io.outpost.tunnel.client.AgentExchange;
import io.outpost.tunnel.client.Backoff;
import io.outpost.tunnel.client.JoinClient;
import io.outpost.tunnel.client.TunnelClient;
import io.outpost.tunnel.pki.Tls;
import io.outpost.tunnel.proto.ClusterKind;
import io.outpost.tunnel.proto.ClusterSummary;
import io.outpost.tunnel.proto.RequestHead;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Many agents in one JVM, for {@link HubScaleBenchmark}: each joins with its own bootstrap token
 * and key, then keeps its own {@link TunnelClient} — its own gRPC channel, TLS session, control
 * stream and heartbeat — exactly as a real agent does. There is no apiserver behind them: every
 * exchange is answered 200 with a small fixed body, so GETs through the hub measure the hub and
 * the tunnel only. The simulator's own cost (threads, memory, CPU) is not what a real agent costs.
 *
 * <p>Arguments: {@code HOST PORT CA_PIN TOKENS_FILE [delivery]} (one token per line; agent {@code i}
 * is named {@code sim-NNNN}). Reports {@code joined}, {@code connecting}, {@code connected}; answers
 * the {@code states} command; exits when stdin closes. With {@code delivery}, every agent also
 * speaks the Delivery stream ({@link SimulatedDelivery}: bundles applied into memory) and the
 * {@code applied REVISION} command reports how many agents applied a revision, first and last when.
 */
public final class AgentSimulator {

  private static final byte[] BODY = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Success\",\"code\":200}"
      .getBytes(StandardCharsets.UTF_8);
  private static final ClusterSummary SUMMARY = ClusterSummary.newBuilder()
      .setKubernetesVersion("v1.32.0").setNodeCount(3).setPodCount(30).build();
  private static final int JOIN_THREADS = 8;

  private AgentSimulator() {}

  static String clusterName(int i) {
    return String.format("sim-%04d", i);
  }

  public static void main(String[] args) {
    Bench.runAndExit(() -> run(args));
  }

  private static void run(String[] args) throws Exception {
    Bench.quietLogs();
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    String pin = args[2];
    List<String> tokens = Files.readAllLines(Path.of(args[3]));

    // Join: in parallel, as agents installed at the same time would; the hub serializes joins.
    long joinStart = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(JOIN_THREADS);
    List<Future<ChannelCredentials>> joins = new ArrayList<>();
    for (int i = 0; i < tokens.size(); i++) {
      String token = tokens.get(i);
      String name = clusterName(i);
      joins.add(pool.submit(() -> {
        JoinClient.Result joined = JoinClient.join(host, port, pin, token, name, ClusterKind.EDGE,
            Map.of("bench", "scale"), "bench-sim");
        return Tls.mutualCredentials(joined.certificate(), joined.keys().getPrivate(), joined.ca());
      }));
    }
    List<ChannelCredentials> credentials = new ArrayList<>();
    for (Future<ChannelCredentials> join : joins) {
      credentials.add(join.get());
    }
    pool.shutdown();
    ChildProcess.report("joined", "count", credentials.size(), "ms", (System.nanoTime() - joinStart) / 1_000_000);

    // Connect: all at once, the worst case a hub meets (a fleet coming up together).
    List<TunnelClient> clients = new ArrayList<>();
    boolean delivery = args.length > 4 && args[4].equals("delivery");
    Map<String, SimulatedDelivery.Applied> applied = SimulatedDelivery.newLedger();
    ChildProcess.report("connecting", "at", System.currentTimeMillis());
    for (ChannelCredentials creds : credentials) {
      TunnelClient client = new TunnelClient(
          new TunnelClient.Settings(host, port, TunnelLimits.defaults(), Backoff.defaults(), "bench-sim"),
          () -> creds, AgentSimulator::answer, () -> SUMMARY);
      if (delivery) {
        client.addListener(new SimulatedDelivery(applied));
      }
      clients.add(client);
      client.start();
    }
    long deadline = System.nanoTime() + 240_000_000_000L;
    while (count(clients, TunnelClient.State.CONNECTED) < clients.size() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    ChildProcess.report("connected", "at", System.currentTimeMillis(),
        "count", count(clients, TunnelClient.State.CONNECTED));

    ChildProcess.serveCommands(command -> {
      if (command.equals("states")) {
        Map<TunnelClient.State, Integer> states = new EnumMap<>(TunnelClient.State.class);
        clients.forEach(c -> states.merge(c.state(), 1, Integer::sum));
        ChildProcess.report("states", "connected", states.getOrDefault(TunnelClient.State.CONNECTED, 0),
            "other", clients.size() - states.getOrDefault(TunnelClient.State.CONNECTED, 0));
      } else if (command.startsWith("applied ")) {
        SimulatedDelivery.Applied a = applied.getOrDefault(command.substring(8), new SimulatedDelivery.Applied());
        ChildProcess.report("applied", "count", a.count.get(), "first", a.first.get(), "last", a.last.get());
      }
    }, () -> {
      // Nothing to tidy: the hub goes down with the benchmark, and exiting drops every channel.
    });
  }

  private static void answer(RequestHead request, AgentExchange exchange) {
    exchange.respond(200, Map.of("Content-Type", List.of("application/json")));
    exchange.send(ByteBuffer.wrap(BODY));
    exchange.end();
  }

  private static int count(List<TunnelClient> clients, TunnelClient.State state) {
    int n = 0;
    for (TunnelClient client : clients) {
      if (client.state() == state) {
        n++;
      }
    }
    return n;
  }
}
