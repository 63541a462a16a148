package io.outpost.hub.devices;

import io.micronaut.json.JsonMapper;
import io.outpost.cache.store.DurableMap;
import io.outpost.cache.store.DurableStore;
import io.outpost.devices.DeviceIds;
import io.outpost.devices.proto.DeviceMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub's devices, per cluster, in its {@link DurableStore}: one record per device (maps
 * {@code devices}) and its last N messages ({@code device-messages}, keyed by sequence). A batch
 * from an agent is committed in one transaction; a message whose sequence is at or below the
 * device's last stored one is a resend and is not stored again, which makes the at-least-once
 * stream from the agent exactly-once in the registry, in order per device.
 */
public final class DeviceRegistry {

  private static final Logger log = LoggerFactory.getLogger(DeviceRegistry.class);

  private final DurableStore store;
  private final DurableMap records;
  private final DurableMap messages;
  private final JsonMapper json;
  private final int keepMessages;
  /** "cluster/device" → record; mirrors {@link #records}, changed only after a commit. */
  private final Map<String, DeviceRecord> byKey = new ConcurrentHashMap<>();
  private final AtomicLong stored = new AtomicLong();
  private final AtomicLong duplicates = new AtomicLong();

  public DeviceRegistry(DurableStore store, JsonMapper json, int keepMessages) {
    this.store = store;
    this.records = store.map("devices");
    this.messages = store.map("device-messages");
    this.json = json;
    this.keepMessages = keepMessages;
    records.forEach((key, value) -> byKey.put(key, decode(value)));
  }

  /**
   * Stores the new messages of {@code batch} for {@code cluster} in one commit. Returns the ids the
   * agent may delete: every id of the batch, stored now or before.
   */
  public List<String> commit(String cluster, List<DeviceMessage> batch) {
    List<String> ids = new ArrayList<>(batch.size());
    Map<String, DeviceRecord> changed = new HashMap<>();
    long[] fresh = new long[1];
    synchronized (this) {
      store.transaction(() -> {
        for (DeviceMessage m : batch) {
          ids.add(m.getId());
          Optional<String> problem = DeviceIds.problem(m.getDevice());
          if (problem.isPresent()) {
            log.warn("devices: cluster {} sent a message with a bad {}; dropped", cluster, problem.get());
            continue;
          }
          String key = key(cluster, m.getDevice());
          DeviceRecord record = changed.getOrDefault(key, byKey.getOrDefault(key, DeviceRecord.empty(cluster, m.getDevice())));
          if (m.getSeq() <= record.lastSeq()) {
            duplicates.incrementAndGet();
            continue;
          }
          String payload = m.getPayload().toStringUtf8();
          String received = Instant.ofEpochMilli(m.getReceivedAtMillis()).toString();
          messages.put(messageKey(key, m.getSeq()), encode(new StoredMessage(m.getId(), m.getSeq(), m.getTopic(),
              payload, received)));
          messages.remove(messageKey(key, m.getSeq() - keepMessages));
          changed.put(key, record.withMessage(m.getSeq(), received, m.getTopic(), payload));
          fresh[0]++;
        }
        changed.forEach((key, record) -> records.put(key, encode(record)));
      });
      byKey.putAll(changed);
    }
    stored.addAndGet(fresh[0]);
    return ids;
  }

  /** Sets the desired state of a device (seen or not yet); returns the record with the new version. */
  public synchronized DeviceRecord setDesired(String cluster, String device, String payload) {
    String key = key(cluster, device);
    DeviceRecord updated = byKey.getOrDefault(key, DeviceRecord.empty(cluster, device)).withDesired(payload);
    records.put(key, encode(updated));
    byKey.put(key, updated);
    return updated;
  }

  /** The agent has stored and published desired {@code version}. */
  public synchronized void desiredAcked(String cluster, String device, long version) {
    String key = key(cluster, device);
    DeviceRecord record = byKey.get(key);
    if (record != null && version > record.desiredAckedVersion()) {
      DeviceRecord updated = record.withDesiredAcked(version);
      records.put(key, encode(updated));
      byKey.put(key, updated);
    }
  }

  /** Devices of {@code cluster} whose desired state the agent has not confirmed yet. */
  public List<DeviceRecord> pendingDesired(String cluster) {
    return list(Optional.of(cluster)).stream().filter(DeviceRecord::desiredPending).toList();
  }

  /** All devices, or those of one cluster, sorted by cluster and id. */
  public List<DeviceRecord> list(Optional<String> cluster) {
    return byKey.values().stream()
        .filter(r -> cluster.map(c -> c.equals(r.cluster())).orElse(true))
        .sorted(Comparator.comparing(DeviceRecord::cluster).thenComparing(DeviceRecord::device))
        .toList();
  }

  public Optional<DeviceRecord> get(String cluster, String device) {
    return Optional.ofNullable(byKey.get(key(cluster, device)));
  }

  /** The device's kept messages, oldest first. */
  public List<StoredMessage> recent(String cluster, String device) {
    DeviceRecord record = byKey.get(key(cluster, device));
    if (record == null) {
      return List.of();
    }
    List<StoredMessage> out = new ArrayList<>();
    String key = key(cluster, device);
    for (long seq = Math.max(1, record.lastSeq() - keepMessages + 1); seq <= record.lastSeq(); seq++) {
      messages.get(messageKey(key, seq)).ifPresent(bytes -> out.add(decodeMessage(bytes)));
    }
    return out;
  }

  /** Messages stored since the hub started. */
  public long stored() {
    return stored.get();
  }

  /** Resent messages that were already stored and were dropped, since the hub started. */
  public long duplicates() {
    return duplicates.get();
  }

  private static String key(String cluster, String device) {
    return cluster + "/" + device;
  }

  private static String messageKey(String deviceKey, long seq) {
    return deviceKey + "/" + String.format("%019d", seq);
  }

  private byte[] encode(Object value) {
    try {
      return json.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private DeviceRecord decode(byte[] bytes) {
    try {
      return json.readValue(bytes, DeviceRecord.class);
    } catch (IOException e) {
      throw new UncheckedIOException("unreadable device record: " + new String(bytes, StandardCharsets.UTF_8), e);
    }
  }

  private StoredMessage decodeMessage(byte[] bytes) {
    try {
      return json.readValue(bytes, StoredMessage.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
