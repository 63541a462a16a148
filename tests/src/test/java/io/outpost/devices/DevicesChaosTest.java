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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chaos scenario: 10,000 messages from 20 devices while the tunnel between agent and
 * hub is cut and restored 10 times at random (a TCP relay that drops every connection) and the
 * agent is killed -9 twice. The hub must end with exactly 10,000 messages, none twice, each
 * device's in the order it sent them.
 *
 * <p>The broker is mosquitto, a process apart from the agent: a broker that dies with the agent
 * (the embedded one) can lose what it had accepted from devices and not yet handed to the agent, and
 * Moquette 0.17 resends a message that was in flight to the killed agent only after newer ones
 * (seen here: one pair of a device's messages swapped), where MQTT 3.1.1 (4.6) wants resends in the
 * original order, which mosquitto keeps. Skipped, saying so, without mosquitto.
 */
class DevicesChaosTest {

  static final String CLUSTER = "edge-chaos";
  static final int DEVICES = 20;
  static final int PER_DEVICE = 500;
  static final Duration PUBLISHING = Duration.ofSeconds(25);

  @TempDir Path dir;

  @Test
  void tenThousandMessagesArriveExactlyOnceInOrderThroughCutsAndKills() throws Exception {
    Mosquitto.assumeInstalled();
    long seed = System.nanoTime();
    System.out.println("devices chaos seed: " + seed);
    Random random = new Random(seed);
    Path agentDir = dir.resolve("agent");
    try (Hub hub = Hub.builder().dataDir(dir.resolve("hub")).httpsPort(0).tunnelPort(0)
            .property("devices.keep-messages", PER_DEVICE).start();
        SandboxCluster sandbox = SandboxCluster.start(SandboxSpec.builder(CLUSTER).build());
        Mosquitto broker = Mosquitto.start(dir.resolve("mosquitto"));
        FaultyLink link = new FaultyLink(hub.tunnelPort())) {
      String token = hub.tokens().create(Duration.ofMinutes(10), "chaos").token();
      AgentJoin.join(hub.advertisedHost() + ":" + link.port(), token, hub.caPin(), CLUSTER, "edge", Map.of(), agentDir);
      Path kubeconfig = sandbox.writeKubeconfig(dir.resolve("kubeconfig"), CLUSTER);
      AgentProcess[] agent = {AgentProcess.start(agentDir, kubeconfig, broker.url(), 0)};
      List<MqttDevice> devices = new ArrayList<>();
      ExecutorService publishers = Executors.newFixedThreadPool(DEVICES);
      try {
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
            agent[0] = AgentProcess.start(agentDir, kubeconfig, broker.url(), run++);
          }
          LockSupport.parkNanos(Math.max(0, slot - (System.nanoTime() - start)));
        }
        for (Future<?> f : publishing) {
          f.get(2, TimeUnit.MINUTES);
        }
        // then the hub ends with every message exactly once, each device's in order.
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
            .until(() -> total(hub) >= (long) DEVICES * PER_DEVICE);
        assertThat(total(hub)).isEqualTo((long) DEVICES * PER_DEVICE);
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

  static String device(int d) {
    return String.format("sensor-%02d", d);
  }

  static long total(Hub hub) {
    return hub.devices().list(Optional.of(CLUSTER)).stream().mapToLong(DeviceRecord::messageCount).sum();
  }
}
