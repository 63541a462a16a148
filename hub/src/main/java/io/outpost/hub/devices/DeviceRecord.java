package io.outpost.hub.devices;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

/**
 * What the hub knows of one device of one cluster; persisted as JSON, and the REST API's view.
 *
 * @param lastSeq the device's last stored sequence number: anything at or below it is a duplicate
 * @param lastTelemetry payload of the last message whose topic does not end in {@code /state}
 * @param reportedState payload of the last message on a topic ending in {@code /state}
 * @param desired desired state set through the API (JSON text), version {@code desiredVersion}
 * @param desiredAckedVersion the highest desired version the agent has stored and published
 */
@Serdeable
public record DeviceRecord(
    String cluster,
    String device,
    @Nullable String lastSeen,
    long lastSeq,
    long messageCount,
    @Nullable String lastTelemetry,
    @Nullable String reportedState,
    @Nullable String desired,
    long desiredVersion,
    long desiredAckedVersion) {

  static DeviceRecord empty(String cluster, String device) {
    return new DeviceRecord(cluster, device, null, 0, 0, null, null, null, 0, 0);
  }

  DeviceRecord withMessage(long seq, String seen, String topic, String payload) {
    boolean state = topic.endsWith("/state");
    return new DeviceRecord(cluster, device, seen, seq, messageCount + 1, state ? lastTelemetry : payload,
        state ? payload : reportedState, desired, desiredVersion, desiredAckedVersion);
  }

  DeviceRecord withDesired(String payload) {
    return new DeviceRecord(cluster, device, lastSeen, lastSeq, messageCount, lastTelemetry, reportedState, payload,
        desiredVersion + 1, desiredAckedVersion);
  }

  DeviceRecord withDesiredAcked(long version) {
    return new DeviceRecord(cluster, device, lastSeen, lastSeq, messageCount, lastTelemetry, reportedState, desired,
        desiredVersion, Math.max(version, desiredAckedVersion));
  }

  boolean desiredPending() {
    return desired != null && desiredVersion > desiredAckedVersion;
  }
}
