package io.outpost.hub.devices;

import io.micronaut.serde.annotation.Serdeable;
import java.util.List;

/** A device and its most recent messages (oldest first), for {@code GET /api/v1/devices/...}. */
@Serdeable
public record DeviceDetail(DeviceRecord device, List<StoredMessage> recentMessages) {}
