package io.outpost.hub.devices;

import com.google.protobuf.InvalidProtocolBufferException;
import io.micronaut.json.JsonMapper;
import io.outpost.cache.store.DurableMap;
import io.outpost.cache.store.DurableStore;
import io.outpost.devices.DeviceIds;
import io.outpost.devices.proto.DeviceMessage;
import io.outpost.devices.proto.MessageBatch;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub's devices, per cluster, in its {@link DurableStore}: one record per device (map
 * {@code devices}, JSON) and its last N messages (map {@code device-recent}, one protobuf
 * {@code MessageBatch} per device, so a batch costs two store writes per device, not several per
 * message). A batch
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
  private final List<Consumer<List<DeviceMessage>>> committedListeners = new CopyOnWriteArrayList<>();
  private final AtomicLong stored = new AtomicLong();
  private final AtomicLong duplicates = new AtomicLong();

  public DeviceRegistry(DurableStore store, JsonMapper json, int keepMessages) {
    this.store = store;
    this.records = store.map("devices");
    this.messages = store.map("device-recent");
    this.json = json;
    this.keepMessages = keepMessages;
    records.forEach((key, value) -> byKey.put(key, decode(value)));
  }

  /**
   * What {@link #commit} did with a batch: the ids the agent may delete (stored now or before), and
   * the first seq gap it found, if any (those messages were neither stored nor acked).
   */
  public record Committed(List<String> ids, Optional<String> gap) {}

  /** {@link #commit(String, List, Map)} of a batch that declares no drops. */
  public Committed commit(String cluster, List<DeviceMessage> batch) {
    return commit(cluster, batch, Map.of());
  }

  /**
   * Stores the new messages of {@code batch} for {@code cluster} in one commit. A message at or
   * below its device's last stored seq is a resend: acked, not stored. A message above the last
   * seq + 1 (or above {@code droppedThrough} + 1, what the agent declares lost to its queue's
   * overflow) means one went missing on the way: it and the device's later messages in this batch
   * are neither stored nor acked, and the gap is reported, so order and completeness hold. A
   * device the hub has never stored a message of starts wherever the agent's queue starts.
   */
  public Committed commit(String cluster, List<DeviceMessage> batch, Map<String, Long> droppedThrough) {
    List<String> ids = new ArrayList<>(batch.size());
    Map<String, DeviceRecord> changed = new HashMap<>();
    Map<String, List<DeviceMessage>> added = new HashMap<>();
    Map<String, String> gaps = new LinkedHashMap<>();
    long[] fresh = new long[1];
    synchronized (this) {
      store.transaction(() -> {
        for (DeviceMessage m : batch) {
          Optional<String> problem = DeviceIds.problem(m.getDevice());
          if (problem.isPresent()) {
            ids.add(m.getId());
            log.warn("devices: cluster {} sent a message with a bad {}; dropped", cluster, problem.get());
            continue;
          }
          String key = key(cluster, m.getDevice());
          if (gaps.containsKey(key)) {
            continue;
          }
          DeviceRecord known = byKey.get(key);
          DeviceRecord record = changed.getOrDefault(key, known != null ? known : DeviceRecord.empty(cluster, m.getDevice()));
          if (m.getSeq() <= record.lastSeq()) {
            ids.add(m.getId());
            duplicates.incrementAndGet();
            continue;
          }
          long expected = Math.max(record.lastSeq(), droppedThrough.getOrDefault(m.getDevice(), 0L)) + 1;
          boolean firstEver = known == null && !changed.containsKey(key);
          if (!firstEver && m.getSeq() > expected) {
            gaps.put(key, "device " + m.getDevice() + " of cluster " + cluster + ": got seq " + m.getSeq()
                + ", expected " + expected);
            continue;
          }
          ids.add(m.getId());
          String received = Instant.ofEpochMilli(m.getReceivedAtMillis()).toString();
          changed.put(key, record.withMessage(m.getSeq(), received, m.getTopic(), m.getPayload().toStringUtf8()));
          added.computeIfAbsent(key, k -> new ArrayList<>()).add(m);
          fresh[0]++;
        }
        changed.forEach((key, record) -> records.put(key, encode(record)));
        added.forEach(this::keepRecent);
      });
      byKey.putAll(changed);
    }
    stored.addAndGet(fresh[0]);
    committedListeners.forEach(l -> l.accept(batch));
    return new Committed(ids, gaps.values().stream().findFirst());
  }

  /** Calls {@code listener} with every batch after it is committed (duplicates included; benchmarks, metrics). */
  public void onCommitted(Consumer<List<DeviceMessage>> listener) {
    committedListeners.add(listener);
  }

  /** Appends {@code fresh} to the device's kept messages and trims them to the last N. */
  private void keepRecent(String key, List<DeviceMessage> fresh) {
    List<DeviceMessage> kept = new ArrayList<>(readRecent(key));
    kept.addAll(fresh);
    List<DeviceMessage> last = kept.subList(Math.max(0, kept.size() - keepMessages), kept.size());
    messages.put(key, MessageBatch.newBuilder().addAllMessages(last).build().toByteArray());
  }

  private List<DeviceMessage> readRecent(String key) {
    return messages.get(key).map(bytes -> {
      try {
        return MessageBatch.parseFrom(bytes).getMessagesList();
      } catch (InvalidProtocolBufferException e) {
        throw new UncheckedIOException("unreadable recent messages of device " + key, e);
      }
    }).orElse(List.of());
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
    return readRecent(key(cluster, device)).stream()
        .map(m -> new StoredMessage(m.getId(), m.getSeq(), m.getTopic(), m.getPayload().toStringUtf8(),
            Instant.ofEpochMilli(m.getReceivedAtMillis()).toString()))
        .toList();
  }

  /** Forgets every device of a deleted cluster, with its kept messages and desired state; returns how many. */
  public synchronized int forgetCluster(String cluster) {
    List<String> keys = byKey.values().stream().filter(r -> r.cluster().equals(cluster))
        .map(r -> key(r.cluster(), r.device())).toList();
    store.transaction(() -> keys.forEach(key -> {
      records.remove(key);
      messages.remove(key);
    }));
    keys.forEach(byKey::remove);
    if (!keys.isEmpty()) {
      log.info("devices: forgot {} devices of deleted cluster {}", keys.size(), cluster);
    }
    return keys.size();
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
}
