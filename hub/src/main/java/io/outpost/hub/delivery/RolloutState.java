package io.outpost.hub.delivery;

import io.outpost.hub.delivery.BundleView.History;
import io.outpost.hub.delivery.BundleView.ObjectError;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The durable state of one bundle's rollout, kept by {@link RolloutEngine} (mutable, touched only
 * on the engine's thread, stored as JSON in the hub store after every change).
 */
final class RolloutState {

  /** Rollout phases. */
  static final String PROGRESSING = "Progressing";
  static final String PAUSED = "Paused";
  static final String HALTED = "Halted";
  static final String COMPLETE = "Complete";
  static final String INVALID = "Invalid";
  static final String NO_TARGETS = "NoTargets";

  public String name;
  public String source;
  public String path;
  /** The commit being rolled out (null until the bundle was valid once). */
  public String revision;
  public String tree;
  public String phase = PROGRESSING;
  public String message;
  /** The newest commit that failed to load, while the rollout stays at {@link #revision}. */
  public String invalidRevision;
  /** The last wave released (0 = canary or first batch). */
  public int wave;
  /** The Git tree of this bundle at the source's newest commit. */
  public String headTree;
  /** After a rollback: {@link #headTree} at that time; a change of the bundle in Git ends the pin. */
  public String pinnedTree;
  public List<History> history = new ArrayList<>();
  public Map<String, ClusterState> clusters = new TreeMap<>();

  /** Where one cluster stands with this bundle. */
  static final class ClusterState {
    /** The revision this cluster is meant to run (null: not released to it yet). */
    public String assigned;
    /** The revision its last report was about. */
    public String reported;
    /** Applying, Synced, OutOfSync or Failed for {@link #reported}. */
    public String phase;
    public String message;
    public List<ObjectError> objects = new ArrayList<>();
    public String applyMode;
    public String updatedAt;
  }
}
