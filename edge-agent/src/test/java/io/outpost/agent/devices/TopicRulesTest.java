package io.outpost.agent.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.outpost.devices.DeviceIds;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TopicRulesTest {

  private final TopicRules defaults = new TopicRules(DevicesSettings.DEFAULT_UP_TOPICS, DevicesSettings.DEFAULT_DESIRED_TOPIC);

  @Test
  void theDeviceIsTheLevelInPlaceOfThePlus() {
    assertEquals("pump-7", defaults.match("devices/pump-7/telemetry").orElseThrow().device());
    assertEquals("devices/+/state", defaults.match("devices/pump-7/state").orElseThrow().filter());
    assertEquals("devices/pump-7/desired", defaults.desiredTopic("pump-7"));
  }

  @Test
  void topicsOutsideTheRulesDoNotMatch() {
    assertTrue(defaults.match("devices/pump-7/firmware").isEmpty());
    assertTrue(defaults.match("devices/pump-7/x/telemetry").isEmpty());
    assertTrue(defaults.match("other/pump-7/telemetry").isEmpty());
  }

  @Test
  void filtersWithoutExactlyOnePlusLevelAreRefusedWithAnExample() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new TopicRules(List.of("devices/#"), DevicesSettings.DEFAULT_DESIRED_TOPIC));
    assertEquals("up topic \"devices/#\": expected exactly one '+' level naming the device and no '#',"
        + " e.g. devices/+/telemetry", e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> new TopicRules(List.of("devices/+/+/telemetry"), DevicesSettings.DEFAULT_DESIRED_TOPIC));
    IllegalArgumentException desired = assertThrows(IllegalArgumentException.class,
        () -> new TopicRules(DevicesSettings.DEFAULT_UP_TOPICS, "devices/desired"));
    assertEquals("desired topic \"devices/desired\": expected {id} for the device and no wildcards,"
        + " e.g. devices/{id}/desired", desired.getMessage());
  }

  @Test
  void deviceIdsWithPathOrWildcardCharactersAreRefused() {
    assertEquals(Optional.of("device id \"a/b\": must not contain '/', '+' or '#'"), DeviceIds.problem("a/b"));
    assertEquals(Optional.of("device id \"a+b\": must not contain '/', '+' or '#'"), DeviceIds.problem("a+b"));
    assertTrue(DeviceIds.problem("..").isPresent());
    assertTrue(DeviceIds.problem("a b").isPresent());
    assertTrue(DeviceIds.problem("x".repeat(129)).isPresent());
    assertEquals(Optional.empty(), DeviceIds.problem("sensor_01.a-b"));
  }
}
