package io.outpost.hub.devices;

import io.micronaut.serde.annotation.Serdeable;

/** One stored device message, as the REST API shows it (payload as UTF-8 text). */
@Serdeable
public record StoredMessage(String id, long seq, String topic, String payload, String receivedAt) {}
