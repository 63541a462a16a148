package io.outpost.agent.devices;

import com.google.protobuf.InvalidProtocolBufferException;
import io.outpost.cache.store.DurableMap;
import io.outpost.cache.store.DurableStore;
import io.outpost.devices.proto.Desired;
import java.util.Optional;
import java.util.function.BiPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Desired state at the agent: what the hub pushed down, kept durably per device and published
 * retained to the device's desired topic, so a device that (re)connects gets the latest one from
 * the broker even while the site is cut off from the hub. Republished on every broker connect, for
 * a broker that lost its retained messages.
 */
final class DesiredStates {

  private static final Logger log = LoggerFactory.getLogger(DesiredStates.class);

  private final DurableMap desired;
  private final TopicRules rules;
  /** Publishes (topic, payload) retained; false when the broker is not reachable right now. */
  private final BiPredicate<String, byte[]> publisher;

  DesiredStates(DurableStore store, TopicRules rules, BiPredicate<String, byte[]> publisher) {
    this.desired = store.map("devices.desired");
    this.rules = rules;
    this.publisher = publisher;
  }

  /** Stores {@code update} unless a newer version is already here, and publishes it. */
  void apply(Desired update) {
    long current = stored(update.getDevice()).map(Desired::getVersion).orElse(0L);
    if (update.getVersion() <= current) {
      return;
    }
    desired.put(update.getDevice(), update.toByteArray());
    publish(update);
  }

  /** Publishes every stored desired state again (after a broker connect). */
  void republishAll() {
    desired.snapshot().values().forEach(bytes -> parse(bytes).ifPresent(this::publish));
  }

  private void publish(Desired d) {
    if (!publisher.test(rules.desiredTopic(d.getDevice()), d.getPayload().toByteArray())) {
      log.info("devices: desired state v{} of {} stored; it is published when the broker is back", d.getVersion(),
          d.getDevice());
    }
  }

  private Optional<Desired> stored(String device) {
    return desired.get(device).flatMap(DesiredStates::parse);
  }

  private static Optional<Desired> parse(byte[] bytes) {
    try {
      return Optional.of(Desired.parseFrom(bytes));
    } catch (InvalidProtocolBufferException e) {
      log.warn("devices: skipping an unreadable stored desired state: {}", e.getMessage());
      return Optional.empty();
    }
  }
}
