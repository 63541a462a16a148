package io.outpost.devices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.agent.AgentJoin;
import io.outpost.hub.Hub;
import io.outpost.hub.devices.DeviceRecord;
import io.outpost.hub.devices.StoredMessage;
import io.outpost.sandbox.SandboxCluster;
import io.outpost.sandbox.SandboxSpec;
import io.outpost.testing.FaultyLink;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chaos scenario: 10,000 messages from 20 devices while the tunnel between agent and
 * hub is cut and restored 10 times at random (a TCP relay that drops every connection) and the
 * agent is killed -9 twice. The hub must end with exactly 10,000 messages, none twice, each
 * device's in the order it sent them.
 *
 * <p>Run twice: with the agent's embedded broker (the default; a child process that outlives the
 * killed agent and is adopted by the next one) and with mosquitto as the site's broker (skipped,
 * saying so, without mosquitto).
 */
class DevicesChaosTest {

  static final String CLUSTER = "edge-chaos";
  static final int DEVICES = 20;
  static final int PER_DEVICE = 500;
  static final Duration PUBLISHING = Duration.ofSeconds(25);

  // Kept when the test fails: the agents' logs (agent-N.log) and the broker's (mqtt-broker/broker.log).
  @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir;

  @ParameterizedTest(name = "{0} broker")
  @ValueSource(strings = {"embedded", "mosquitto"})
  void tenThousandMessagesArriveExactlyOnceInOrderThroughCutsAndKills(String brokerKind) throws Exception {
    boolean embedded = brokerKind.equals("embedded");
    if (!embedded) {
      Mosquitto.assumeInstalled();
    }
    long seed = System.nanoTime();
    System.out.println("devices chaos seed: " + seed);
    Random random = new Random(seed);
    Path agentDir = dir.resolve("agent");
    try (Hub hub = Hub.builder().dataDir(dir.resolve("hub")).httpsPort(0).tunnelPort(0)
            .property("devices.keep-messages", PER_DEVICE).start();
        SandboxCluster sandbox = SandboxCluster.start(SandboxSpec.builder(CLUSTER).build());
        Broker broker = embedded ? new Embedded(freePort()) : new External(Mosquitto.start(dir.resolve("mosquitto")));
        FaultyLink link = new FaultyLink(hub.tunnelPort())) {
      String token = hub.tokens().create(Duration.ofMinutes(10), "chaos").token();
      AgentJoin.join(hub.advertisedHost() + ":" + link.port(), token, hub.caPin(), CLUSTER, "edge", Map.of(), agentDir);
      Path kubeconfig = sandbox.writeKubeconfig(dir.resolve("kubeconfig"), CLUSTER);
      AgentProcess[] agent = {broker.agent(agentDir, kubeconfig, 0)};
      List<MqttDevice> devices = new ArrayList<>();
      ExecutorService publishers = Executors.newFixedThreadPool(DEVICES);
      try {
        await().atMost(Duration.ofSeconds(60)).until(() -> listening(broker.port()));
        Path pidFile = agentDir.resolve("mqtt-broker/broker.pid");
        if (embedded) {
          // The broker listens a moment before it writes its pid file.
          await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(pidFile));
        }
        Optional<String> brokerPid = embedded ? Optional.of(Files.readString(pidFile)) : Optional.empty();
        for (int d = 0; d < DEVICES; d++) {
          devices.add(MqttDevice.connect(broker.url(), device(d)));
        }
        // Given devices publishing steadily for the whole run,
        long pause = PUBLISHING.toNanos() / PER_DEVICE;
        List<Future<?>> publishing = new ArrayList<>();
        for (MqttDevice device : devices) {
          publishing.add(publishers.submit(() -> {
            for (int n = 1; n <= PER_DEVICE; n++) {
              device.telemetry("{\"n\":" + n + "}");
              LockSupport.parkNanos(pause);
            }
            return null;
          }));
        }
        // when the tunnel is cut 10 times and the agent is killed twice, at random moments,
        List<String> events = new ArrayList<>(List.of("kill", "kill"));
        IntStream.range(0, 10).forEach(i -> events.add("cut"));
        Collections.shuffle(events, random);
        long slot = PUBLISHING.toNanos() / events.size();
        int run = 1;
        for (String event : events) {
          LockSupport.parkNanos((long) (slot * 0.5 * random.nextDouble()));
          long start = System.nanoTime();
          if (event.equals("cut")) {
            link.cut();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200 + random.nextInt(1300)));
            link.restore();
          } else {
            agent[0].kill();
            agent[0] = broker.agent(agentDir, kubeconfig, run++);
          }
          LockSupport.parkNanos(Math.max(0, slot - (System.nanoTime() - start)));
        }
        for (Future<?> f : publishing) {
          f.get(2, TimeUnit.MINUTES);
        }
        // then the hub ends with every message exactly once, each device's in order.
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
            .untilAsserted(() -> assertThat(total(hub)).as(() -> "messages at the hub; " + missing(hub))
                .isGreaterThanOrEqualTo((long) DEVICES * PER_DEVICE));
        assertThat(total(hub)).isEqualTo((long) DEVICES * PER_DEVICE);
        if (embedded) {
          assertThat(Files.readString(pidFile))
              .as("the embedded broker outlived both agent kills (each new agent adopted it)").isEqualTo(brokerPid.get());
        }
        assertThat(hub.devices().stored()).as("messages stored since the hub started").isEqualTo((long) DEVICES * PER_DEVICE);
        for (int d = 0; d < DEVICES; d++) {
          List<StoredMessage> stored = hub.devices().recent(CLUSTER, device(d));
          assertThat(stored).extracting(StoredMessage::payload).as(device(d))
              .containsExactlyElementsOf(IntStream.rangeClosed(1, PER_DEVICE).mapToObj(n -> "{\"n\":" + n + "}").toList());
          assertThat(stored).extracting(StoredMessage::seq).as(device(d)).isSorted().doesNotHaveDuplicates();
        }
      } finally {
        publishers.shutdownNow();
        for (MqttDevice device : devices) {
          device.close();
        }
        agent[0].close();
      }
    }
  }

  /** The site's broker as the test drives it: where devices connect, and how an agent is started against it. */
  interface Broker extends AutoCloseable {
    int port();

    default String url() {
      return "tcp://127.0.0.1:" + port();
    }

    AgentProcess agent(Path agentDir, Path kubeconfig, int run);

    @Override
    default void close() throws Exception {}
  }

  record Embedded(int port) implements Broker {
    public AgentProcess agent(Path agentDir, Path kubeconfig, int run) {
      return AgentProcess.withEmbeddedBroker(agentDir, kubeconfig, port, run);
    }
  }

  record External(Mosquitto mosquitto) implements Broker {
    public int port() {
      return mosquitto.port();
    }

    public AgentProcess agent(Path agentDir, Path kubeconfig, int run) {
      return AgentProcess.start(agentDir, kubeconfig, mosquitto.url(), run);
    }

    @Override
    public void close() throws InterruptedException {
      mosquitto.close();
    }
  }

  static boolean listening(int port) {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  static String device(int d) {
    return String.format("sensor-%02d", d);
  }

  /** What each device lacks at the hub, and the hub's duplicate count: what a failure report needs. */
  static String missing(Hub hub) {
    StringBuilder out = new StringBuilder("duplicates dropped by the hub: " + hub.devices().duplicates());
    for (int d = 0; d < DEVICES; d++) {
      var have = hub.devices().recent(CLUSTER, device(d)).stream().map(StoredMessage::payload).toList();
      List<Integer> lacking = IntStream.rangeClosed(1, PER_DEVICE).filter(n -> !have.contains("{\"n\":" + n + "}"))
          .boxed().toList();
      if (!lacking.isEmpty()) {
        out.append("; ").append(device(d)).append(" lacks ").append(lacking.size() > 30 ? lacking.subList(0, 30) + "…" : lacking);
      }
    }
    return out.toString();
  }

  static long total(Hub hub) {
    return hub.devices().list(Optional.of(CLUSTER)).stream().mapToLong(DeviceRecord::messageCount).sum();
  }
}
