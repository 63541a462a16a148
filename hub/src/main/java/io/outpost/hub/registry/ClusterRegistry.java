package io.outpost.hub.registry;

import io.micronaut.json.JsonMapper;
import io.outpost.cache.store.DurableMap;
import io.outpost.cache.store.DurableStore;
import io.outpost.tunnel.proto.ClusterSummary;
import io.outpost.tunnel.proto.Heartbeat;
import io.outpost.tunnel.proto.Hello;
import io.outpost.tunnel.server.AgentSession;
import io.outpost.tunnel.server.SessionListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The cluster registry: every member cluster with its identity, labels and last known health.
 * What must survive a crash (joined, certificate rotated, relabelled, deleted) is committed at
 * once. Liveness (connected, disconnected, heartbeat details) is kept in memory and committed in
 * batches by {@link #flush()}: a hub that restarts marks every cluster Offline anyway, and a
 * thousand agents reconnecting must not queue a thousand disk syncs on the tunnel's threads.
 */
public final class ClusterRegistry implements SessionListener {

  private final DurableStore store;
  private final DurableMap persisted;
  private final JsonMapper json;
  private final Clock clock;
  private final Map<String, ClusterRecord> clusters = new ConcurrentHashMap<>();
  private final Set<String> dirty = ConcurrentHashMap.newKeySet();
  private final List<Consumer<String>> deleteListeners = new CopyOnWriteArrayList<>();

  public ClusterRegistry(DurableStore store, JsonMapper json, Clock clock) {
    this.store = store;
    this.persisted = store.map("clusters");
    this.json = json;
    this.clock = clock;
    persisted.snapshot().forEach((name, bytes) -> {
      ClusterRecord record = read(bytes);
      // No agent is connected to a hub that just started; they will say hello again.
      clusters.put(name, record.status().equals(ClusterRecord.JOINED)
          ? record : record.withStatus(ClusterRecord.OFFLINE, "hub restarted; waiting for the agent", null));
    });
  }

  public Optional<ClusterRecord> get(String name) {
    return Optional.ofNullable(clusters.get(name));
  }

  public List<ClusterRecord> list() {
    List<ClusterRecord> all = new ArrayList<>(clusters.values());
    all.sort(Comparator.comparing(ClusterRecord::name));
    return all;
  }

  /** Adds a newly joined cluster; the caller holds the join lock and has checked the name is free. */
  public ClusterRecord register(String name, String kind, Map<String, String> labels, String serial) {
    ClusterRecord record = new ClusterRecord(name, kind, Map.copyOf(labels), ClusterRecord.JOINED, null, null,
        0, 0, null, null, clock.instant().toString(), "joined; waiting for the agent to connect", List.of(serial),
        Map.of());
    save(record);
    return record;
  }

  /** Records a renewed certificate; the previous one stays valid until the agent reconnects. */
  public void rotateSerial(String name, String serial) {
    update(name, r -> {
      List<String> serials = new ArrayList<>(r.certificateSerials());
      serials.add(serial);
      return r.withSerials(serials.subList(Math.max(0, serials.size() - 2), serials.size()));
    });
  }

  public Optional<ClusterRecord> setLabels(String name, Map<String, String> labels) {
    return Optional.ofNullable(update(name, r -> r.withLabels(labels)));
  }

  public boolean delete(String name) {
    boolean removed = clusters.remove(name) != null;
    dirty.remove(name);
    persisted.remove(name);
    if (removed) {
      deleteListeners.forEach(l -> l.accept(name));
    }
    return removed;
  }

  /** What else the hub keeps per cluster (its devices, ...) goes with it: called after a delete. */
  public void onDelete(Consumer<String> listener) {
    deleteListeners.add(listener);
  }

  /** Commits heartbeat details gathered since the last flush, in one transaction. */
  public void flush() {
    if (dirty.isEmpty()) {
      return;
    }
    List<String> names = new ArrayList<>(dirty);
    store.transaction(() -> {
      for (String name : names) {
        dirty.remove(name);
        ClusterRecord record = clusters.get(name);
        if (record != null) {
          persisted.put(name, write(record));
        }
      }
    });
  }

  @Override
  public void connected(AgentSession session, Hello hello) {
    String now = clock.instant().toString();
    updateLater(session.clusterName(), r -> summarize(r.withStatus(ClusterRecord.READY, "connected", now),
        hello.getAgentVersion(), hello.getSummary(), now));
  }

  @Override
  public void heartbeat(AgentSession session, Heartbeat heartbeat) {
    String now = clock.instant().toString();
    updateLater(session.clusterName(), r -> summarize(r, r.agentVersion(), heartbeat.getSummary(), now));
  }

  @Override
  public void disconnected(AgentSession session, String reason) {
    updateLater(session.clusterName(), r -> r.withStatus(ClusterRecord.OFFLINE, reason, null));
  }

  private static ClusterRecord summarize(ClusterRecord r, String agentVersion, ClusterSummary s, String now) {
    return r.withSummary(agentVersion, s.getKubernetesVersion().isEmpty() ? r.kubernetesVersion() : s.getKubernetesVersion(),
        s.getNodeCount(), s.getPodCount(), s.getApiserverError(), now, s.getComponentsMap());
  }

  /** Changes the in-memory record now; the next {@link #flush()} commits it. */
  private void updateLater(String name, java.util.function.UnaryOperator<ClusterRecord> change) {
    if (clusters.computeIfPresent(name, (n, r) -> change.apply(r)) != null) {
      dirty.add(name);
    }
  }

  private ClusterRecord update(String name, java.util.function.UnaryOperator<ClusterRecord> change) {
    ClusterRecord updated = clusters.computeIfPresent(name, (n, r) -> change.apply(r));
    if (updated != null) {
      dirty.remove(name);
      persisted.put(name, write(updated));
    }
    return updated;
  }

  private void save(ClusterRecord record) {
    clusters.put(record.name(), record);
    persisted.put(record.name(), write(record));
  }

  private byte[] write(ClusterRecord record) {
    try {
      return json.writeValueAsBytes(record);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode the registry entry of cluster " + record.name(), e);
    }
  }

  private ClusterRecord read(byte[] bytes) {
    try {
      return json.readValue(bytes, ClusterRecord.class);
    } catch (IOException e) {
      throw new UncheckedIOException("a registry entry cannot be decoded; the registry file may be from another version", e);
    }
  }
}
