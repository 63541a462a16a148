package io.outpost.bench;

import io.outpost.agent.Agent;
import io.outpost.agent.AgentJoin;
import io.outpost.agent.devices.DevicesFeature;
import io.outpost.devices.proto.DeviceMessage;
import io.outpost.hub.Hub;
import io.outpost.sandbox.SandboxCluster;
import io.outpost.sandbox.SandboxSpec;
import io.outpost.testing.FaultyLink;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/**
 * Devices → hub: sustained messages per second with end-to-end latency (device publish → hub
 * commit) while online, and the drain time of a backlog queued at the agent while the tunnel was
 * cut. One JVM: hub, agent with its embedded broker, and the devices (async Paho clients,
 * QoS 1). The tunnel runs through a TCP relay that the backlog phase cuts.
 *
 * <pre>
 * java -cp "tests/target/classes:$(cat tests/target/classpath.txt)" io.outpost.bench.DeviceThroughputBenchmark \
 *     [devices=10] [messages=50000] [rate=2000] [backlog=100000] [runs=3]
 * </pre>
 * {@code messages} are sent as fast as the devices can (throughput, latency under saturation);
 * then {@code messages/5} at {@code rate} msg/s (latency at a moderate load).
 */
public final class DeviceThroughputBenchmark {

  private static final String CLUSTER = "bench-devices";

  public static void main(String[] argv) {
    Bench.runAndExit(() -> run(argv));
  }

  private static void run(String[] argv) throws Exception {
    Map<String, String> args = Bench.args(argv, "devices", "messages", "rate", "backlog", "runs");
    int deviceCount = Bench.intArg(args, "devices", 10);
    int messages = Bench.intArg(args, "messages", 50_000);
    int rate = Bench.intArg(args, "rate", 2000);
    int backlog = Bench.intArg(args, "backlog", 100_000);
    int runs = Bench.intArg(args, "runs", 3);
    Bench.quietLogs();
    Path dir = Bench.tempDir("outpost-bench-devices");
    System.out.println(Bench.machine());
    try (Hub hub = Hub.builder().dataDir(dir.resolve("hub")).httpsPort(0).tunnelPort(0).start();
        SandboxCluster sandbox = SandboxCluster.start(SandboxSpec.builder(CLUSTER).build());
        FaultyLink link = new FaultyLink(hub.tunnelPort())) {
      String token = hub.tokens().create(Duration.ofMinutes(10), "bench").token();
      Path agentDir = dir.resolve("agent");
      AgentJoin.join(hub.advertisedHost() + ":" + link.port(), token, hub.caPin(), CLUSTER, "edge", Map.of(), agentDir);
      Path kubeconfig = sandbox.writeKubeconfig(dir.resolve("kubeconfig"), CLUSTER);
      Probe probe = new Probe();
      hub.devices().onCommitted(probe::committed);
      try (Agent agent = Agent.builder().dataDir(agentDir).kubeconfig(kubeconfig)
          .property("backoff-cap", "1s").property("devices.enabled", true).property("devices.embedded-port", 0).start()) {
        if (!agent.awaitConnected(Duration.ofSeconds(30))) {
          throw new IllegalStateException("the agent did not connect to the hub");
        }
        DevicesFeature feature = agent.feature(DevicesFeature.class);
        List<Device> devices = new ArrayList<>();
        for (int d = 0; d < deviceCount; d++) {
          devices.add(new Device(feature.brokerUrl(), String.format("bench-%03d", d)));
        }
        // Warm-up: JIT, connections, first store pages.
        send(devices, probe, Math.min(messages / 5, 10_000), 0);

        List<List<String>> rows = new ArrayList<>();
        double[] rates = new double[runs];
        for (int r = 0; r < runs; r++) {
          Result max = send(devices, probe, messages, 0);
          rates[r] = max.perSecond();
          rows.add(max.row("online, as fast as possible #" + (r + 1)));
        }
        Result paced = send(devices, probe, messages / 5, rate);
        rows.add(paced.row("online, paced at " + rate + " msg/s"));
        double[] drains = new double[runs];
        for (int r = 0; r < runs; r++) {
          link.cut();
          long target = probe.fresh.get() + backlog;
          publish(devices, backlog, 0);
          while (feature.queued() < backlog) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
          }
          probe.reset();
          long start = System.nanoTime();
          link.restore();
          while (probe.fresh.get() < target) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
          }
          long nanos = System.nanoTime() - start;
          drains[r] = nanos / 1e9;
          rows.add(List.of("backlog of " + backlog + " drained after reconnect #" + (r + 1), Integer.toString(backlog),
              Bench.fmt("%.1f s", nanos / 1e9), Bench.fmt("%.0f", backlog / (nanos / 1e9)), "-", "-"));
        }
        System.out.println(Bench.table(List.of("phase", "messages", "time", "msg/s", "p50", "p99"), rows));
        System.out.println(Bench.fmt("median sustained: %.0f msg/s (goal >= 5000); median drain of %d: %.1f s (goal <= 30 s)",
            Stats.median(rates), backlog, Stats.median(drains)));
        System.out.println("duplicates dropped at the hub: " + hub.devices().duplicates() + "; load " + Bench.loadAverage());
        for (Device d : devices) {
          d.close();
        }
      }
    } finally {
      Bench.deleteRecursively(dir);
    }
  }

  private record Result(int messages, long nanos, Stats.Summary latency) {
    double perSecond() {
      return messages / (nanos / 1e9);
    }

    List<String> row(String phase) {
      return List.of(phase, Integer.toString(messages), Bench.fmt("%.1f s", nanos / 1e9), Bench.fmt("%.0f", perSecond()),
          Bench.ms(latency.p50()), Bench.ms(latency.p99()));
    }
  }

  /** Sends {@code messages} (at {@code rate} msg/s, 0 = as fast as possible) and waits until the hub has them all. */
  private static Result send(List<Device> devices, Probe probe, int messages, int rate) throws Exception {
    probe.reset();
    long target = probe.fresh.get() + messages;
    long start = System.nanoTime();
    publish(devices, messages, rate);
    while (probe.fresh.get() < target) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
    }
    return new Result(messages, System.nanoTime() - start, probe.latency.summary());
  }

  /** Round-robin over the devices; each device keeps up to its in-flight window open. */
  private static void publish(List<Device> devices, int messages, int rate) throws MqttException, InterruptedException {
    long start = System.nanoTime();
    for (int i = 0; i < messages; i++) {
      if (rate > 0) {
        long due = start + (long) (i * (1e9 / rate));
        long wait = due - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
      }
      devices.get(i % devices.size()).publish();
    }
  }

  /** Counts what the hub commits and measures each new message's age from its publish. */
  private static final class Probe {
    final AtomicLong fresh = new AtomicLong();
    volatile Stats latency = new Stats(1);

    void reset() {
      latency = new Stats(200_000);
    }

    void committed(List<DeviceMessage> batch) {
      long now = System.nanoTime();
      Stats into = latency;
      for (DeviceMessage m : batch) {
        String payload = m.getPayload().toString(StandardCharsets.UTF_8);
        // {"t":NANOS}
        into.add(now - Long.parseLong(payload.substring(5, payload.length() - 1)));
      }
      fresh.addAndGet(batch.size());
    }
  }

  /** One device: an async Paho client with a bounded in-flight window. */
  private static final class Device implements AutoCloseable {
    private static final int WINDOW = 500;
    private final MqttAsyncClient client;
    private final String topic;
    private final Semaphore window = new Semaphore(WINDOW);
    private final IMqttActionListener release = new IMqttActionListener() {
      @Override
      public void onSuccess(IMqttToken token) {
        window.release();
      }

      @Override
      public void onFailure(IMqttToken token, Throwable error) {
        window.release();
      }
    };

    Device(String url, String id) throws MqttException {
      client = new MqttAsyncClient(url, "dev-" + id, new MemoryPersistence());
      MqttConnectOptions options = new MqttConnectOptions();
      options.setCleanSession(true);
      options.setMaxInflight(WINDOW);
      client.connect(options).waitForCompletion(10_000);
      topic = "devices/" + id + "/telemetry";
    }

    void publish() throws MqttException, InterruptedException {
      window.acquire();
      client.publish(topic, ("{\"t\":" + System.nanoTime() + "}").getBytes(StandardCharsets.UTF_8), 1, false, null,
          release);
    }

    @Override
    public void close() throws MqttException {
      client.disconnect().waitForCompletion(5000);
      client.close();
    }
  }
}
