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

  private static List<String> names(DeviceRegistry devices) {
    return devices.list(Optional.empty()).stream().map(r -> r.cluster() + "/" + r.device()).toList();
  }

  private static DeviceMessage message(String id, String device, long seq) {
    return DeviceMessage.newBuilder().setId(id).setDevice(device).setSeq(seq)
        .setTopic("devices/" + device + "/telemetry").setPayload(ByteString.copyFromUtf8("{\"c\":21}"))
        .setReceivedAtMillis(System.currentTimeMillis()).build();
  }
}
