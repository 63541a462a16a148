package io.outpost.hub.delivery;

import io.outpost.hub.registry.ClusterRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a bundle's targeted clusters into waves: the canary wave first (if the rollout names one),
 * then batches of {@code batchSize} in name order. The plan is recomputed from the current targets
 * on every step, so a relabelled cluster simply joins or leaves a wave.
 */
public final class WavePlanner {

  private WavePlanner() {}

  /** Waves of cluster names; never empty when {@code targets} is not. */
  public static List<List<String>> plan(BundleSpec.Rollout rollout, List<ClusterRecord> targets) {
    List<List<String>> waves = new ArrayList<>();
    List<String> canary = new ArrayList<>();
    List<String> rest = new ArrayList<>();
    for (ClusterRecord c : targets) {
      boolean isCanary = rollout.canary() != null ? rollout.canary().matches(c) : canary.size() < rollout.canaryCount();
      (isCanary ? canary : rest).add(c.name());
    }
    if (!canary.isEmpty()) {
      waves.add(List.copyOf(canary));
    }
    int batch = rollout.batchSize().of(rest.size());
    for (int i = 0; i < rest.size(); i += batch) {
      waves.add(List.copyOf(rest.subList(i, Math.min(rest.size(), i + batch))));
    }
    return waves;
  }
}
