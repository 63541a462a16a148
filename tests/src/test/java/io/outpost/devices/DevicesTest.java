package io.outpost.devices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.agent.devices.DevicesFeature;
import io.outpost.agent.devices.DevicesSettings;
import io.outpost.demo.Fleet;
import io.outpost.e2e.support.HubClient;
import io.outpost.hub.devices.DeviceRecord;
import io.outpost.hub.devices.StoredMessage;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Devices end to end: Paho devices on the edge agent's embedded broker, through the agent's
 * store-and-forward queue and the tunnel, into the hub's device registry; desired state back down.
 */
class DevicesTest {

  static final String EDGE = "edge-dev-1";

  @TempDir static Path dir;
  static Fleet fleet;
  static HubClient http;

  @BeforeAll
  static void startFleet() {
    fleet = Fleet.start(dir, List.of(Fleet.Member.of(EDGE, "edge", Map.of())), hub -> hub,
        agent -> agent.property("devices.enabled", true).property("devices.embedded-port", 0));
    http = new HubClient(fleet);
  }

  @AfterAll
  static void stopFleet() {
    if (fleet != null) {
      fleet.close();
    }
  }

  static DevicesFeature devices() {
    return fleet.agent(EDGE).feature(DevicesFeature.class);
  }

  @Test
  void messagesFromDevicesAreStoredAtTheHubOnceAndInOrder() throws Exception {
    try (MqttDevice a = MqttDevice.connect(devices().brokerUrl(), "pump-1");
        MqttDevice b = MqttDevice.connect(devices().brokerUrl(), "pump-2")) {
      for (int i = 1; i <= 50; i++) {
        a.telemetry("{\"n\":" + i + "}");
        b.telemetry("{\"n\":" + i + "}");
      }
      b.publish("devices/pump-2/state", "{\"valve\":\"open\"}".getBytes());

      await().atMost(Duration.ofSeconds(30)).until(() -> count("pump-1") == 50 && count("pump-2") == 51);
    }
    List<StoredMessage> recent = fleet.hub().devices().recent(EDGE, "pump-1");
    assertThat(recent).extracting(StoredMessage::payload)
        .containsExactlyElementsOf(IntStream.rangeClosed(1, 50).mapToObj(i -> "{\"n\":" + i + "}").toList());
    assertThat(recent).extracting(StoredMessage::seq).isSorted().doesNotHaveDuplicates();
    DeviceRecord pump2 = fleet.hub().devices().get(EDGE, "pump-2").orElseThrow();
    assertThat(pump2.reportedState()).isEqualTo("{\"valve\":\"open\"}");
    assertThat(pump2.lastTelemetry()).isEqualTo("{\"n\":50}");
    await().atMost(Duration.ofSeconds(10)).until(() -> devices().queued() == 0);

    HttpResponse<String> list = http.get("/api/v1/devices?cluster=" + EDGE);
    assertThat(list.statusCode()).isEqualTo(200);
    assertThat(list.body()).contains("\"device\":\"pump-1\"", "\"messageCount\":50", "\"cluster\":\"" + EDGE + "\"");
    HttpResponse<String> one = http.get("/api/v1/devices/pump-2");
    assertThat(one.statusCode()).isEqualTo(200);
    assertThat(one.body()).contains("\"reportedState\":\"{\\\"valve\\\":\\\"open\\\"}\"", "\"recentMessages\"");
  }

  @Test
  void theAgentReportsItsBrokerInTheHeartbeatAndTheRegistry() {
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      String body = http.get("/api/v1/clusters/" + EDGE).body();
      assertThat(body).contains("\"mqtt\":\"connected " + devices().brokerUrl() + "\"");
      assertThat(body).contains("\"devices\":\"queued ");
    });
  }

  @Test
  void desiredStateSetThroughTheApiIsPublishedRetainedToTheDevice() throws Exception {
    HttpResponse<String> set = putDesired(EDGE, "fan-1", "{\"speed\":3}");
    assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
    // A device that subscribes afterwards still gets it: retained at the broker.
    try (MqttDevice fan = MqttDevice.connect(devices().brokerUrl(), "fan-1").followDesired()) {
      await().atMost(Duration.ofSeconds(20)).until(() -> fan.desired().contains("{\"speed\":3}"));
    }
    await().atMost(Duration.ofSeconds(10)).until(() ->
        fleet.hub().devices().get(EDGE, "fan-1").map(DeviceRecord::desiredAckedVersion).orElse(0L) == 1L);
  }

  @Test
  void nonUtf8AndOversizedPayloadsAreDroppedAndCountedWhileTheRestArrive() throws Exception {
    long notUtf8 = devices().rejected().getOrDefault("not-utf8", 0L);
    long oversized = devices().rejected().getOrDefault("oversized", 0L);
    try (MqttDevice probe = MqttDevice.connect(devices().brokerUrl(), "probe-1")) {
      probe.telemetry("{\"n\":1}");
      probe.publish("devices/probe-1/telemetry", new byte[] {(byte) 0xC3, (byte) 0x28, 0x7B});
      probe.publish("devices/probe-1/telemetry", new byte[DevicesSettings.DEFAULT_MAX_PAYLOAD_BYTES + 1]);
      probe.telemetry("{\"n\":2}");
      await().atMost(Duration.ofSeconds(20)).until(() -> count("probe-1") == 2);
    }
    assertThat(devices().rejected()).containsEntry("not-utf8", notUtf8 + 1).containsEntry("oversized", oversized + 1);
    assertThat(fleet.hub().devices().recent(EDGE, "probe-1")).extracting(StoredMessage::payload)
        .containsExactly("{\"n\":1}", "{\"n\":2}");
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(http.get("/api/v1/clusters/" + EDGE).body())
        .contains("not-utf8=" + (notUtf8 + 1), "oversized=" + (oversized + 1)));
  }

  @Test
  void topicsOutsideTheRulesAndDeviceIdsWithPathCharactersAreNotForwarded() throws Exception {
    long badIds = devices().rejected().getOrDefault("bad-device-id", 0L);
    try (MqttDevice probe = MqttDevice.connect(devices().brokerUrl(), "probe-2")) {
      probe.publish("devices/probe-2/firmware", "{}".getBytes());
      probe.publish("devices/probe-2/x/telemetry", "{}".getBytes());
      probe.publish("other/probe-2/telemetry", "{}".getBytes());
      probe.publish("devices/../telemetry", "{}".getBytes());
      probe.publish("devices/a b/telemetry", "{}".getBytes());
      probe.telemetry("{\"ok\":true}");
      await().atMost(Duration.ofSeconds(20)).until(() -> count("probe-2") == 1);
    }
    assertThat(devices().rejected()).containsEntry("bad-device-id", badIds + 2);
    assertThat(fleet.hub().devices().list(Optional.of(EDGE))).extracting(DeviceRecord::device)
        .doesNotContain("..", "a b", "x");
    assertThat(fleet.hub().devices().recent(EDGE, "probe-2")).extracting(StoredMessage::topic)
        .containsExactly("devices/probe-2/telemetry");
  }

  @Test
  void theApiRefusesBadDeviceIdsUnknownClustersAndNonJsonDesiredState() {
    HttpResponse<String> wildcard = putDesired(EDGE, "a%2Bb", "{}");
    assertThat(wildcard.statusCode()).isEqualTo(400);
    assertThat(wildcard.body()).contains("device id \\\"a+b\\\": must not contain '/', '+' or '#'");
    HttpResponse<String> hash = putDesired(EDGE, "a%23b", "{}");
    assertThat(hash.statusCode()).isEqualTo(400);
    assertThat(hash.body()).contains("must not contain '/', '+' or '#'");
    HttpResponse<String> unknown = putDesired("nowhere", "fan-9", "{}");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.body()).contains("cluster \\\"nowhere\\\" is not registered at this hub");
    HttpResponse<String> notJson = putDesired(EDGE, "fan-9", "speed=3");
    assertThat(notJson.statusCode()).isEqualTo(400);
    assertThat(notJson.body()).contains("desired state of device \\\"fan-9\\\" is not valid JSON");
    HttpResponse<String> missing = http.get("/api/v1/devices/" + EDGE + "/never-seen");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.body()).contains("device \\\"never-seen\\\" of cluster \\\"" + EDGE + "\\\" is not known at this hub");
  }

  static HttpResponse<String> putDesired(String cluster, String device, String json) {
    return http.send(http.request("/api/v1/devices/" + cluster + "/" + device + "/desired")
        .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(json)).build());
  }

  static long count(String device) {
    Optional<DeviceRecord> record = fleet.hub().devices().get(EDGE, device);
    return record.map(DeviceRecord::messageCount).orElse(0L);
  }
}
