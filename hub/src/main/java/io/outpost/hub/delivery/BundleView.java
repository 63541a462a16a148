package io.outpost.hub.delivery;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import java.util.List;
import java.util.Map;

/**
 * What the REST API shows of a bundle: its rollout, per-cluster status, counts per status and
 * revision history.
 *
 * @param counts clusters per status (Pending, Applying, Synced, OutOfSync, Failed, Offline)
 * @param waves the current wave plan, cluster names per wave
 */
@Serdeable
public record BundleView(String name, String source, String path, @Nullable String revision, String phase,
    @Nullable String message, int wave, List<List<String>> waves, Map<String, Integer> counts,
    @Nullable List<ClusterView> clusters, List<History> history) {

  /** Status values of a bundle on one cluster. */
  public static final String PENDING = "Pending";
  public static final String APPLYING = "Applying";
  public static final String SYNCED = "Synced";
  public static final String OUT_OF_SYNC = "OutOfSync";
  public static final String FAILED = "Failed";
  public static final String OFFLINE = "Offline";

  /**
   * @param revision the revision the cluster last reported
   * @param desired the revision released to it
   * @param objects objects that failed (with the apiserver's message) or drifted
   */
  @Serdeable
  public record ClusterView(String cluster, String status, @Nullable String revision, @Nullable String desired,
      @Nullable String message, List<ObjectError> objects, @Nullable String applyMode,
      @Nullable String updatedAt) {}

  /** One revision change: which commit (its message and author), why (commit or rollback), who and when. */
  @Serdeable
  public record History(String revision, String message, String author, String reason, String by, String at) {}

  /** An object the agent could not apply (with the apiserver's message), or that drifted (with the fields). */
  @Serdeable
  public record ObjectError(String object, String message) {}
}
