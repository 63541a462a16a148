package io.outpost.hub.delivery;

import io.micronaut.core.annotation.Nullable;
import io.outpost.hub.registry.ClusterRecord;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * A bundle as its bundle file ({@value BundleFile#NAME}) declares it: which clusters it targets,
 * how each is customized, how it rolls out and how drift is handled. See {@link BundleFile} for
 * the file format.
 */
public record BundleSpec(String name, @Nullable String namespace, boolean correctDrift, Map<String, String> values,
    List<ClusterMatch> targets, List<ClusterMatch> exclude, List<Customization> customizations, Rollout rollout) {

  /**
   * Selects clusters: all given parts must hold (labels equal, kind among {@code kinds}, name among
   * {@code names}); an empty part places no condition.
   */
  public record ClusterMatch(Map<String, String> clusterSelector, List<String> kinds, List<String> names) {

    public boolean matches(ClusterRecord cluster) {
      for (Map.Entry<String, String> label : clusterSelector.entrySet()) {
        if (!label.getValue().equals(cluster.labels().get(label.getKey()))) {
          return false;
        }
      }
      return (kinds.isEmpty() || kinds.contains(cluster.kind())) && (names.isEmpty() || names.contains(cluster.name()));
    }

    @Override
    public String toString() {
      StringBuilder s = new StringBuilder();
      if (!clusterSelector.isEmpty()) {
        s.append("clusterSelector ").append(clusterSelector);
      }
      if (!kinds.isEmpty()) {
        s.append(s.isEmpty() ? "" : ", ").append("kinds ").append(kinds);
      }
      if (!names.isEmpty()) {
        s.append(s.isEmpty() ? "" : ", ").append("names ").append(names);
      }
      return s.isEmpty() ? "all clusters" : s.toString();
    }
  }

  /** What changes for the clusters {@code match} selects: extra values, an overlay directory, a namespace. */
  public record Customization(ClusterMatch match, Map<String, String> values, @Nullable String overlay,
      @Nullable String namespace) {}

  /**
   * Waves: the canary clusters (those matching {@code canary}, or the first {@code canaryCount} by
   * name), then batches of {@code batchSize}. At most {@code maxUnavailable} clusters of a wave
   * are applying or failed at once; more than {@code failureThreshold} failed clusters halt the
   * rollout. Offline clusters are skipped unless {@code waitForOffline}.
   */
  public record Rollout(@Nullable ClusterMatch canary, int canaryCount, Amount batchSize, Amount maxUnavailable,
      int failureThreshold, boolean waitForOffline) {

    public static final Rollout DEFAULT = new Rollout(null, 0, Amount.ALL, Amount.ALL, 0, false);
  }

  /** A count ({@code 5}) or a share ({@code 25%}) of a number of clusters; a share rounds up, never below 1. */
  public record Amount(int value, boolean percent) {

    public static final Amount ALL = new Amount(100, true);

    public int of(int total) {
      return percent ? Math.max(1, (int) Math.ceil(total * value / 100.0)) : Math.max(1, value);
    }

    @Override
    public String toString() {
      return percent ? value + "%" : Integer.toString(value);
    }
  }

  /** The clusters this bundle targets, sorted by name. */
  public List<ClusterRecord> select(List<ClusterRecord> clusters) {
    return clusters.stream()
        .filter(c -> targets.stream().anyMatch(t -> t.matches(c)))
        .filter(c -> exclude.stream().noneMatch(x -> x.matches(c)))
        .sorted(Comparator.comparing(ClusterRecord::name))
        .toList();
  }
}
