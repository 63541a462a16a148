package io.outpost.devices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.agent.AgentJoin;
import io.outpost.hub.Hub;
import io.outpost.hub.devices.DeviceRecord;
import io.outpost.hub.devices.StoredMessage;
import io.outpost.sandbox.SandboxCluster;
import io.outpost.sandbox.SandboxSpec;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whether the embedded broker's persistence carries messages across a {@code kill -9} of the agent
 * that runs it: 10 devices publish 300 messages each to the agent's embedded broker while the agent
 * process is killed twice and restarted on the same port (the devices' Paho clients reconnect and
 * resend what the broker had not acknowledged). Long: run with {@code -Plong}.
 */
@Tag("long")
class EmbeddedBrokerKillTest {

  static final String CLUSTER = "edge-embedded";
  static final int DEVICES = 10;
  static final int PER_DEVICE = 300;

  @TempDir Path dir;

  @Test
  void messagesSurviveTheAgentAndItsEmbeddedBrokerBeingKilled() throws Exception {
    Path agentDir = dir.resolve("agent");
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    String url = "tcp://127.0.0.1:" + port;
    List<String> flags = List.of("--mqtt-port", Integer.toString(port));
    try (Hub hub = Hub.builder().dataDir(dir.resolve("hub")).httpsPort(0).tunnelPort(0)
            .property("devices.keep-messages", 2 * PER_DEVICE).start();
        SandboxCluster sandbox = SandboxCluster.start(SandboxSpec.builder(CLUSTER).build())) {
      String token = hub.tokens().create(Duration.ofMinutes(10), "kill").token();
      AgentJoin.join(hub.advertisedHost() + ":" + hub.tunnelPort(), token, hub.caPin(), CLUSTER, "edge", Map.of(),
          agentDir);
      Path kubeconfig = sandbox.writeKubeconfig(dir.resolve("kubeconfig"), CLUSTER);
      AgentProcess[] agent = {AgentProcess.start(agentDir, kubeconfig, flags, 0)};
      List<MqttDevice> devices = new ArrayList<>();
      ExecutorService publishers = Executors.newFixedThreadPool(DEVICES);
      try {
        for (int d = 0; d < DEVICES; d++) {
          String id = String.format("meter-%02d", d);
          devices.add(await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
              .until(() -> MqttDevice.connect(url, id), c -> c != null));
        }
        List<Future<?>> publishing = new ArrayList<>();
        for (MqttDevice device : devices) {
          publishing.add(publishers.submit(() -> {
            for (int n = 1; n <= PER_DEVICE; n++) {
              // Paho refuses to publish while it reconnects; the device retries, as a real one would.
              String payload = "{\"n\":" + n + "}";
              await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                  .until(() -> {
                    device.telemetry(payload);
                    return true;
                  });
              LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(40));
            }
            return null;
          }));
        }
        for (int kill = 1; kill <= 2; kill++) {
          LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(4));
          agent[0].kill();
          agent[0] = AgentProcess.start(agentDir, kubeconfig, flags, kill);
        }
        for (Future<?> f : publishing) {
          f.get(3, TimeUnit.MINUTES);
        }
        // A device whose publish failed mid-flight sends it again (at least once from the device), so
        // the hub may hold a reading twice; what must not happen is a reading missing.
        List<String> expected = IntStream.rangeClosed(1, PER_DEVICE).mapToObj(n -> "{\"n\":" + n + "}").toList();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
          for (int d = 0; d < DEVICES; d++) {
            String id = String.format("meter-%02d", d);
            assertThat(hub.devices().recent(CLUSTER, id).stream().map(StoredMessage::payload).distinct().toList())
                .as(id).containsExactlyElementsOf(expected);
          }
        });
      } finally {
        System.out.println("embedded broker kill: hub has " + total(hub) + " messages for " + DEVICES * PER_DEVICE
            + " readings");
        publishers.shutdownNow();
        for (MqttDevice device : devices) {
          device.close();
        }
        agent[0].close();
      }
    }
  }

  static long total(Hub hub) {
    return hub.devices().list(Optional.of(CLUSTER)).stream().mapToLong(DeviceRecord::messageCount).sum();
  }
}
