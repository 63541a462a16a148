package io.outpost.devices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.agent.devices.DevicesFeature;
import io.outpost.demo.Fleet;
import io.outpost.e2e.support.HubClient;
import io.outpost.hub.devices.DeviceRecord;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent against a real mosquitto broker (external broker by URL), with devices played by
 * mosquitto_pub and mosquitto_sub. Skipped, saying so, where mosquitto is not installed
 * ({@code apt-get install mosquitto mosquitto-clients}; .ci/run does).
 */
class MosquittoInteropTest {

  static final String CLUSTER = "edge-mosq";

  @TempDir static Path dir;
  static Mosquitto broker;
  static int port;
  static Fleet fleet;

  @BeforeAll
  static void start() throws Exception {
    broker = Mosquitto.start(dir.resolve("mosquitto"));
    port = broker.port();
    fleet = Fleet.start(dir.resolve("fleet"), List.of(Fleet.Member.of(CLUSTER, "edge", Map.of())), hub -> hub,
        agent -> agent.property("devices.enabled", true).property("devices.broker-url", "tcp://127.0.0.1:" + port));
  }

  @AfterAll
  static void stop() throws Exception {
    if (fleet != null) {
      fleet.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void messagesFromMosquittoPubReachTheHubAndDesiredStateReachesMosquittoSub() throws Exception {
    DevicesFeature devices = fleet.agent(CLUSTER).feature(DevicesFeature.class);
    await().atMost(Duration.ofSeconds(20)).until(() -> devices.mqttStatus().equals("connected tcp://127.0.0.1:" + port));
    for (int i = 1; i <= 3; i++) {
      run("mosquitto_pub", "-h", "127.0.0.1", "-p", Integer.toString(port), "-q", "1",
          "-t", "devices/boiler-1/telemetry", "-m", "{\"c\":" + i + "}");
    }
    await().atMost(Duration.ofSeconds(20)).until(() ->
        fleet.hub().devices().get(CLUSTER, "boiler-1").map(DeviceRecord::messageCount).orElse(0L) == 3);
    assertThat(fleet.hub().devices().get(CLUSTER, "boiler-1").orElseThrow().lastTelemetry()).isEqualTo("{\"c\":3}");

    HubClient http = new HubClient(fleet);
    var set = http.send(http.request("/api/v1/devices/" + CLUSTER + "/boiler-1/desired")
        .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString("{\"c\":21}")).build());
    assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(20)).until(() ->
        fleet.hub().devices().get(CLUSTER, "boiler-1").map(DeviceRecord::desiredAckedVersion).orElse(0L) == 1);
    // Retained: a subscriber that comes afterwards gets it at once.
    String received = run("mosquitto_sub", "-h", "127.0.0.1", "-p", Integer.toString(port), "-t",
        "devices/boiler-1/desired", "-C", "1", "-W", "10");
    assertThat(received.trim()).isEqualTo("{\"c\":21}");
  }

  static String run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    if (!p.waitFor(20, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException(String.join(" ", command) + ": no exit within 20 s");
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(String.join(" ", command) + ": " + out).isZero();
    return out;
  }
}
