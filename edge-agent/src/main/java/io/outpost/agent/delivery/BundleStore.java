package io.outpost.agent.delivery;

import com.google.protobuf.InvalidProtocolBufferException;
import io.outpost.cache.store.DurableMap;
import io.outpost.cache.store.DurableStore;
import io.outpost.tunnel.delivery.DesiredBundle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The agent's durable memory of delivery: the last desired bundle per bundle name (so the cluster
 * stays converged while the hub is out of reach, across agent restarts) and the inventory of what
 * each bundle applied (what to prune when objects leave Git).
 */
final class BundleStore implements AutoCloseable {

  private final DurableStore store;
  private final DurableMap desired;
  private final DurableMap inventory;

  BundleStore(Path file) {
    this.store = DurableStore.open(file);
    this.desired = store.map("desired");
    this.inventory = store.map("inventory");
  }

  Map<String, DesiredBundle> desired() {
    Map<String, DesiredBundle> result = new LinkedHashMap<>();
    desired.forEach((name, bytes) -> {
      try {
        result.put(name, DesiredBundle.parseFrom(bytes));
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("stored bundle " + name + " is unreadable: " + e.getMessage(), e);
      }
    });
    return result;
  }

  /** The stored desired state of one bundle, or null. */
  DesiredBundle desired(String bundle) {
    return desired.get(bundle).map(bytes -> {
      try {
        return DesiredBundle.parseFrom(bytes);
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("stored bundle " + bundle + " is unreadable: " + e.getMessage(), e);
      }
    }).orElse(null);
  }

  Set<ObjectRef> inventory(String bundle) {
    Set<ObjectRef> refs = new LinkedHashSet<>();
    inventory.get(bundle).ifPresent(bytes -> new String(bytes, StandardCharsets.UTF_8).lines()
        .filter(l -> !l.isBlank()).forEach(l -> refs.add(ObjectRef.parse(l))));
    return refs;
  }

  /** Keeps the new desired state and the inventory of what is applied, together. */
  void save(DesiredBundle bundle, Set<ObjectRef> applied) {
    StringBuilder lines = new StringBuilder();
    applied.forEach(r -> lines.append(r.key()).append('\n'));
    store.transaction(() -> {
      desired.put(bundle.getBundle(), bundle.toByteArray());
      inventory.put(bundle.getBundle(), lines.toString().getBytes(StandardCharsets.UTF_8));
    });
  }

  void forget(String bundle) {
    store.transaction(() -> {
      desired.remove(bundle);
      inventory.remove(bundle);
    });
  }

  @Override
  public void close() {
    store.close();
  }
}
