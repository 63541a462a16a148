package io.outpost.hub.delivery;

import io.outpost.hub.delivery.RolloutState.ClusterState;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Turns a rollout's state into what the API shows: each cluster's status, counts per status, history. */
final class RolloutViews {

  private RolloutViews() {}

  /**
   * @param online clusters whose Delivery stream is open
   * @param waves the current wave plan
   */
  static BundleView view(RolloutState r, Set<String> online, List<List<String>> waves, boolean withClusters) {
    List<BundleView.ClusterView> clusters = new ArrayList<>();
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (String s : List.of(BundleView.PENDING, BundleView.APPLYING, BundleView.SYNCED, BundleView.OUT_OF_SYNC,
        BundleView.FAILED, BundleView.OFFLINE)) {
      counts.put(s, 0);
    }
    r.clusters.forEach((name, cs) -> {
      String status = status(r, cs, online.contains(name));
      counts.merge(status, 1, Integer::sum);
      clusters.add(new BundleView.ClusterView(name, status, cs.reported, cs.assigned, cs.message,
          cs.objects == null ? List.of() : cs.objects, cs.applyMode, cs.updatedAt));
    });
    return new BundleView(r.name, r.source, r.path, r.revision, r.phase, r.message, r.wave, waves, counts,
        withClusters ? clusters : null, List.copyOf(r.history));
  }

  /**
   * Offline while its stream is closed; Pending until the rollout's revision is released to it;
   * Applying until it reports on that revision; then what it reported.
   */
  static String status(RolloutState r, ClusterState cs, boolean online) {
    if (!online) {
      return BundleView.OFFLINE;
    }
    if (cs.assigned == null || !cs.assigned.equals(r.revision) && !BundleView.FAILED.equals(cs.phase)) {
      return BundleView.PENDING;
    }
    if (!cs.assigned.equals(cs.reported)) {
      return BundleView.APPLYING;
    }
    return cs.phase;
  }
}
