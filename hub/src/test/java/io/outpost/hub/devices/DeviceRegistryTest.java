package io.outpost.hub.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.micronaut.context.ApplicationContext;
import io.micronaut.json.JsonMapper;
import io.outpost.cache.store.DurableStore;
import io.outpost.devices.proto.DeviceMessage;
import io.outpost.hub.registry.ClusterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The device registry in a real hub store file, next to the cluster registry it belongs to. */
class DeviceRegistryTest {

  @TempDir Path dir;
  ApplicationContext context;
  DurableStore store;

  @BeforeEach
  void open() {
    context = ApplicationContext.run();
    store = DurableStore.open(dir.resolve("hub.db"));
  }

  @AfterEach
  void close() {
    store.close();
    context.close();
  }

  @Test
  void deletingAClusterForgetsItsDevicesAndKeepsEveryOtherClustersAcrossAReopen() {
    JsonMapper json = context.getBean(JsonMapper.class);
    ClusterRegistry clusters = new ClusterRegistry(store, json, Clock.systemUTC());
    DeviceRegistry devices = new DeviceRegistry(store, json, 10);
    clusters.onDelete(devices::forgetCluster);
    clusters.register("edge-1", "edge", Map.of(), "01");
    clusters.register("edge-2", "edge", Map.of(), "02");
    devices.commit("edge-1", List.of(message("m1", "thermo-1", 1), message("m2", "thermo-2", 1)));
    devices.commit("edge-2", List.of(message("m3", "thermo-1", 1)));
    devices.setDesired("edge-1", "valve-9", "{\"open\":true}");

    assertTrue(clusters.delete("edge-1"));

    assertEquals(List.of("edge-2/thermo-1"), names(devices));
    assertEquals(List.of(), devices.recent("edge-1", "thermo-1"));
    DeviceRegistry reopened = new DeviceRegistry(store, json, 10);
    assertEquals(List.of("edge-2/thermo-1"), names(reopened));
    assertEquals(1, reopened.recent("edge-2", "thermo-1").size());
  }

  @Test
  void aMessageThatSkipsASeqIsNeitherStoredNorAckedUntilTheMissingOneArrives() {
    DeviceRegistry devices = new DeviceRegistry(store, context.getBean(JsonMapper.class), 10);
    devices.commit("edge-1", List.of(message("m1", "thermo-1", 1), message("m2", "thermo-1", 2)));

    // m3 went missing on the way: m4 and m5 must not be stored past it, nor acked, or a resend of m3
    // would later look like a duplicate and be dropped.
    DeviceRegistry.Committed gap = devices.commit("edge-1",
        List.of(message("m4", "thermo-1", 4), message("m5", "thermo-1", 5), message("o1", "other-1", 1)));
    assertEquals(List.of("o1"), gap.ids());
    assertEquals(Optional.of("device thermo-1 of cluster edge-1: got seq 4, expected 3"), gap.gap());
    assertEquals(2, devices.get("edge-1", "thermo-1").orElseThrow().messageCount());

    // The agent's resend from its oldest message fills the gap, in order.
    DeviceRegistry.Committed resent = devices.commit("edge-1", List.of(message("m2", "thermo-1", 2),
        message("m3", "thermo-1", 3), message("m4", "thermo-1", 4), message("m5", "thermo-1", 5)));
    assertEquals(List.of("m2", "m3", "m4", "m5"), resent.ids());
    assertEquals(Optional.empty(), resent.gap());
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L),
        devices.recent("edge-1", "thermo-1").stream().map(StoredMessage::seq).toList());
  }

  @Test
  void aGapTheAgentDeclaresDroppedByItsQueueOverflowIsPassedOver() {
    DeviceRegistry devices = new DeviceRegistry(store, context.getBean(JsonMapper.class), 10);
    devices.commit("edge-1", List.of(message("m1", "thermo-1", 1)));

    DeviceRegistry.Committed committed = devices.commit("edge-1", List.of(message("m7", "thermo-1", 7)),
        Map.of("thermo-1", 6L));

    assertEquals(List.of("m7"), committed.ids());
    assertEquals(Optional.empty(), committed.gap());
    assertEquals(7, devices.get("edge-1", "thermo-1").orElseThrow().lastSeq());
  }

  @Test
  void aDeviceTheHubHasNeverSeenStartsWhereverTheAgentsQueueStarts() {
    DeviceRegistry devices = new DeviceRegistry(store, context.getBean(JsonMapper.class), 10);

    DeviceRegistry.Committed committed = devices.commit("edge-1", List.of(message("m9", "thermo-1", 9)));

    assertEquals(List.of("m9"), committed.ids());
    assertEquals(Optional.empty(), committed.gap());
  }

  private static List<String> names(DeviceRegistry devices) {
    return devices.list(Optional.empty()).stream().map(r -> r.cluster() + "/" + r.device()).toList();
  }

  private static DeviceMessage message(String id, String device, long seq) {
    return DeviceMessage.newBuilder().setId(id).setDevice(device).setSeq(seq)
        .setTopic("devices/" + device + "/telemetry").setPayload(ByteString.copyFromUtf8("{\"c\":21}"))
        .setReceivedAtMillis(System.currentTimeMillis()).build();
  }
}
