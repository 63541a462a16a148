package io.outpost.hub.delivery;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.cache.store.DurableMap;
import io.outpost.cache.store.DurableStore;
import io.outpost.hub.delivery.RolloutState.ClusterState;
import io.outpost.hub.delivery.BundleView.History;
import io.outpost.hub.delivery.BundleView.ObjectError;
import io.outpost.hub.registry.ClusterRecord;
import io.outpost.hub.registry.ClusterRegistry;
import io.outpost.tunnel.delivery.BundleReport;
import io.outpost.tunnel.delivery.DesiredBundle;
import io.outpost.tunnel.delivery.DriftMode;
import io.outpost.tunnel.delivery.Phase;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives every bundle's rollout: which cluster is meant to run which revision, when the next wave
 * is released, when a rollout halts, and what each cluster reported. All state lives on one
 * thread (the engine's), so there are no locks; callers hand work to it and wait.
 *
 * <p>A step ({@link #tick}) re-reads the targets from the registry (a relabelled cluster joins or
 * leaves), releases the current wave's clusters as {@code maxUnavailable} allows, halts when more
 * than {@code failureThreshold} clusters failed, and moves to the next wave once every cluster of
 * the current one is Synced (offline clusters do not hold a wave unless {@code waitForOffline}).
 * A released cluster that is offline gets its revision the moment its agent reconnects.
 */
public final class RolloutEngine implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RolloutEngine.class);

  /** Where the engine sends a cluster's desired bundles: its open Delivery stream. */
  public interface Sink {
    void send(DesiredBundle desired);
  }

  private final ClusterRegistry registry;
  private final GitRepos repos;
  private final DurableMap store;
  private final Clock clock;
  private final ObjectMapper json = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "outpost-rollouts");
    t.setDaemon(true);
    return t;
  });
  /**
   * Renders and sends, in order, off the engine's thread: a commit to a thousand clusters is a
   * thousand renders, and status questions must not wait behind them. One thread keeps every
   * cluster's messages in the order the engine decided them.
   */
  private final ExecutorService sender = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "outpost-delivery-send");
    t.setDaemon(true);
    return t;
  });
  private final Map<String, RolloutState> rollouts = new TreeMap<>();
  private final Map<String, Sink> connected = new HashMap<>();
  private final Map<String, LoadedBundle> loaded = new HashMap<>();
  private final Set<String> dirty = new HashSet<>();

  public RolloutEngine(ClusterRegistry registry, GitRepos repos, DurableStore store, Clock clock) {
    this.registry = registry;
    this.repos = repos;
    this.store = store.map("delivery.rollouts");
    this.clock = clock;
    this.store.forEach((name, bytes) -> {
      try {
        rollouts.put(name, json.readValue(bytes, RolloutState.class));
      } catch (IOException e) {
        LOG.warn("rollout of bundle {} could not be read and starts afresh: {}", name, e.getMessage());
      }
    });
  }

  /** Starts the periodic step. */
  public RolloutEngine start(Duration tickInterval) {
    thread.scheduleWithFixedDelay(() -> run(() -> {
      rollouts.values().forEach(this::tick);
      persist();
    }), tickInterval.toMillis(), tickInterval.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  // ---- inputs -------------------------------------------------------------------------------

  /**
   * A source was fetched: the bundle under {@code path} at {@code head}, or why it cannot be loaded.
   *
   * @return an error for the source's status, or null
   */
  public String offer(String source, String path, Commit head, String name, LoadedBundle bundle,
      DeliveryException problem, String by) {
    return call(() -> {
      RolloutState r = rollouts.get(name);
      if (r == null) {
        r = new RolloutState();
        r.name = name;
        r.source = source;
        r.path = path;
        rollouts.put(name, r);
      } else if (!r.source.equals(source) || !r.path.equals(path)) {
        return "bundle \"" + name + "\" is already delivered from source \"" + r.source + "\" path \"" + r.path
            + "\"; bundle names must be unique";
      }
      dirty.add(name);
      String headTree = bundle == null ? null : bundle.tree();
      if (r.pinnedTree != null && (headTree == null || r.pinnedTree.equals(headTree))) {
        return null; // rolled back: stay on the older commit until this bundle changes in Git
      }
      r.pinnedTree = null;
      r.headTree = headTree;
      if (problem != null) {
        r.invalidRevision = head.id();
        r.phase = RolloutState.INVALID;
        r.message = "commit " + head.shortId() + " cannot be delivered: " + problem.getMessage()
            + (r.revision == null ? "" : "; clusters keep revision " + r.revision.substring(0, 12));
        return problem.getMessage();
      }
      if (r.revision != null && bundle.tree().equals(r.tree)) {
        if (RolloutState.INVALID.equals(r.phase)) {
          r.phase = RolloutState.PROGRESSING;
          r.message = null;
          r.invalidRevision = null;
        }
        return null; // another part of the repository changed; this bundle did not
      }
      begin(r, bundle, "commit", by);
      return null;
    });
  }

  /** A cluster's agent opened its Delivery stream: send it every bundle released to it. */
  public void connected(String cluster, Sink sink) {
    run(() -> {
      connected.put(cluster, sink);
      for (RolloutState r : rollouts.values()) {
        ClusterState cs = r.clusters.get(cluster);
        if (cs != null && cs.assigned != null) {
          push(r, cluster, cs);
        }
      }
      rollouts.values().forEach(this::tick);
    });
  }

  public void disconnected(String cluster, Sink sink) {
    run(() -> {
      if (connected.get(cluster) == sink) {
        connected.remove(cluster);
      }
    });
  }

  /** What a cluster's agent reported about one bundle. */
  public void report(String cluster, BundleReport report) {
    run(() -> {
      RolloutState r = rollouts.get(report.getBundle());
      ClusterState cs = r == null ? null : r.clusters.get(cluster);
      if (cs == null || cs.assigned == null) {
        if (report.getPhase() != Phase.REMOVED) {
          send(cluster, DesiredBundle.newBuilder().setBundle(report.getBundle()).setRemoved(true).build());
        }
        return;
      }
      if (!report.getRevision().equals(cs.assigned)) {
        return; // about an older revision; the newer one is on its way
      }
      cs.reported = report.getRevision();
      cs.phase = switch (report.getPhase()) {
        case SYNCED -> BundleView.SYNCED;
        case OUT_OF_SYNC -> BundleView.OUT_OF_SYNC;
        case FAILED -> BundleView.FAILED;
        default -> BundleView.APPLYING;
      };
      cs.message = report.getMessage().isEmpty() ? null : report.getMessage();
      cs.objects = report.getObjectsList().stream().map(o -> new ObjectError(o.getObject(), o.getMessage())).toList();
      cs.applyMode = report.getApplyMode().isEmpty() ? cs.applyMode : report.getApplyMode();
      cs.updatedAt = clock.instant().toString();
      dirty.add(r.name);
      tick(r);
    });
  }

  /** Forgets the bundles of a deleted source; their clusters prune what the bundles owned. */
  public void forgetSource(String source) {
    run(() -> rollouts.values().removeIf(r -> {
      if (!r.source.equals(source)) {
        return false;
      }
      r.clusters.forEach((cluster, cs) -> send(cluster,
          DesiredBundle.newBuilder().setBundle(r.name).setRemoved(true).build()));
      store.remove(r.name);
      return true;
    }));
  }

  // ---- user actions -------------------------------------------------------------------------

  /** Releases the next wave now, whatever the state of the current one. */
  public Optional<BundleView> promote(String name, String user) {
    return act(name, r -> {
      r.wave++;
      r.phase = RolloutState.PROGRESSING;
      r.message = "wave " + (r.wave + 1) + " promoted by " + user;
    });
  }

  public Optional<BundleView> pause(String name, String user) {
    return act(name, r -> {
      r.phase = RolloutState.PAUSED;
      r.message = "paused by " + user;
    });
  }

  public Optional<BundleView> resume(String name, String user) {
    return act(name, r -> {
      r.phase = RolloutState.PROGRESSING;
      r.message = "resumed by " + user;
    });
  }

  /**
   * Rolls the bundle out at an earlier commit (a full rollout, wave by wave). The bundle stays
   * there until its source's branch moves to a newer commit.
   */
  public Optional<BundleView> rollback(String name, String revision, String user) throws DeliveryException {
    RolloutState current = call(() -> rollouts.get(name));
    if (current == null) {
      return Optional.empty();
    }
    Commit commit = repos.resolve(current.source, revision);
    LoadedBundle bundle = LoadedBundle.load(repos, current.source, current.path, commit);
    if (!bundle.spec().name().equals(name)) {
      throw new DeliveryException("commit " + commit.shortId() + " has bundle \"" + bundle.spec().name() + "\" at path \""
          + current.path + "\", not \"" + name + "\"");
    }
    return act(name, r -> {
      begin(r, bundle, "rollback", user);
      r.pinnedTree = r.headTree;
    });
  }

  // ---- views --------------------------------------------------------------------------------

  public List<BundleView> list() {
    return call(() -> rollouts.values().stream().map(r -> view(r, false)).toList());
  }

  public Optional<BundleView> get(String name) {
    return call(() -> Optional.ofNullable(rollouts.get(name)).map(r -> view(r, true)));
  }

  @Override
  public void close() {
    sender.shutdownNow();
    thread.shutdown();
    try {
      if (!thread.awaitTermination(5, TimeUnit.SECONDS)) {
        thread.shutdownNow();
      }
    } catch (InterruptedException e) {
      thread.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  // ---- the step -----------------------------------------------------------------------------

  private void begin(RolloutState r, LoadedBundle bundle, String reason, String by) {
    Commit c = bundle.commit();
    loaded.put(r.name + "@" + c.id(), bundle);
    r.revision = c.id();
    r.tree = bundle.tree();
    r.wave = 0;
    boolean paused = RolloutState.PAUSED.equals(r.phase) && !"rollback".equals(reason);
    // A paused bundle takes new commits but releases them to no cluster until resumed or promoted.
    r.phase = paused ? RolloutState.PAUSED : RolloutState.PROGRESSING;
    r.message = paused ? "paused; commit " + c.shortId() + " waits for resume or promote" : null;
    r.invalidRevision = null;
    r.history.add(new History(c.id(), c.message(), c.author(), reason, by, clock.instant().toString()));
    dirty.add(r.name);
    tick(r);
  }

  private void tick(RolloutState r) {
    if (r.revision == null) {
      return;
    }
    LoadedBundle bundle;
    try {
      bundle = bundle(r, r.revision);
    } catch (DeliveryException e) {
      setPhase(r, RolloutState.INVALID, e.getMessage());
      return;
    }
    Map<String, ClusterRecord> targets = new LinkedHashMap<>();
    bundle.spec().select(registry.list()).forEach(c -> targets.put(c.name(), c));
    untarget(r, targets.keySet());
    if (targets.isEmpty()) {
      setPhase(r, RolloutState.NO_TARGETS, "no cluster matches the targets (" + bundle.spec().targets().stream()
          .map(Object::toString).collect(Collectors.joining("; ")) + (bundle.spec().exclude().isEmpty() ? ""
          : " excluding " + bundle.spec().exclude()) + "); nothing was delivered");
      return;
    }
    if (RolloutState.NO_TARGETS.equals(r.phase)) {
      setPhase(r, RolloutState.PROGRESSING, null);
    }
    for (String name : targets.keySet()) {
      if (!r.clusters.containsKey(name)) {
        r.clusters.put(name, new ClusterState());
        dirty.add(r.name);
      }
    }
    if (Set.of(RolloutState.PAUSED, RolloutState.HALTED, RolloutState.INVALID).contains(r.phase)) {
      return;
    }
    BundleSpec.Rollout plan = bundle.spec().rollout();
    List<List<String>> waves = WavePlanner.plan(plan, List.copyOf(targets.values()));
    r.wave = Math.min(r.wave, waves.size() - 1);
    while (true) {
      release(r, waves, plan);
      List<String> failed = r.clusters.entrySet().stream()
          .filter(e -> failedAt(e.getValue(), r.revision)).map(Map.Entry::getKey).toList();
      if (failed.size() > plan.failureThreshold()) {
        ClusterState first = r.clusters.get(failed.get(0));
        setPhase(r, RolloutState.HALTED, failed.size() + " cluster(s) failed, more than the failure threshold of "
            + plan.failureThreshold() + "; waves after wave " + (r.wave + 1) + " are on hold. " + failed.get(0) + ": "
            + first.message);
        return;
      }
      // A failed cluster within the threshold does not hold the wave: the threshold is the brake.
      boolean waveDone = waves.get(r.wave).stream().allMatch(c -> done(r, c, plan.waitForOffline())
          || failedAt(r.clusters.get(c), r.revision));
      if (!waveDone) {
        if (RolloutState.COMPLETE.equals(r.phase)) {
          setPhase(r, RolloutState.PROGRESSING, null);
        }
        return;
      }
      if (r.wave == waves.size() - 1) {
        if (!RolloutState.COMPLETE.equals(r.phase)) {
          setPhase(r, RolloutState.COMPLETE, null);
        }
        return;
      }
      r.wave++;
      dirty.add(r.name);
    }
  }

  /**
   * Gives the current revision to the clusters of the released waves. Within the current wave at
   * most {@code maxUnavailable} online clusters are applying or failed at once; clusters of earlier
   * waves (a promote moved past them) are released at once.
   */
  private void release(RolloutState r, List<List<String>> waves, BundleSpec.Rollout plan) {
    List<String> current = waves.get(r.wave);
    int budget = plan.maxUnavailable().of(current.size());
    int unavailable = (int) current.stream()
        .filter(c -> connected.containsKey(c) && r.revision.equals(r.clusters.get(c).assigned) && !done(r, c, true))
        .count();
    for (int w = 0; w <= r.wave; w++) {
      for (String cluster : waves.get(w)) {
        ClusterState cs = r.clusters.get(cluster);
        if (r.revision.equals(cs.assigned)) {
          continue;
        }
        boolean online = connected.containsKey(cluster);
        boolean limited = online && w == r.wave;
        if (limited && unavailable >= budget) {
          continue;
        }
        cs.assigned = r.revision;
        dirty.add(r.name);
        if (limited) {
          unavailable++;
        }
        if (online) {
          push(r, cluster, cs);
        }
      }
    }
  }

  private boolean done(RolloutState r, String cluster, boolean waitForOffline) {
    ClusterState cs = r.clusters.get(cluster);
    boolean synced = r.revision.equals(cs.assigned) && r.revision.equals(cs.reported)
        && (BundleView.SYNCED.equals(cs.phase) || BundleView.OUT_OF_SYNC.equals(cs.phase));
    return synced || (!waitForOffline && !connected.containsKey(cluster));
  }

  private static boolean failedAt(ClusterState cs, String revision) {
    return revision.equals(cs.assigned) && revision.equals(cs.reported) && BundleView.FAILED.equals(cs.phase);
  }

  private void untarget(RolloutState r, Set<String> targets) {
    for (Iterator<Map.Entry<String, ClusterState>> it = r.clusters.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, ClusterState> e = it.next();
      if (!targets.contains(e.getKey())) {
        if (e.getValue().assigned != null) {
          send(e.getKey(), DesiredBundle.newBuilder().setBundle(r.name).setRemoved(true).build());
        }
        it.remove();
        dirty.add(r.name);
      }
    }
  }

  /** Renders the cluster's assigned revision and sends it; a render error is that cluster's failure. */
  private void push(RolloutState r, String cluster, ClusterState cs) {
    Optional<ClusterRecord> record = registry.get(cluster);
    Sink sink = connected.get(cluster);
    if (record.isEmpty() || sink == null) {
      return;
    }
    String revision = cs.assigned;
    LoadedBundle bundle;
    try {
      bundle = bundle(r, revision);
    } catch (DeliveryException e) {
      failed(r, cs, revision, e);
      return;
    }
    sender.execute(() -> {
      try {
        List<String> objects = Renderer.render(bundle, record.get());
        sink.send(DesiredBundle.newBuilder().setBundle(r.name).setRevision(revision).addAllObjects(objects)
            .setDrift(bundle.spec().correctDrift() ? DriftMode.DRIFT_CORRECT : DriftMode.DRIFT_REPORT).build());
      } catch (DeliveryException e) {
        run(() -> {
          failed(r, cs, revision, e);
          tick(r);
        });
      }
    });
  }

  private void failed(RolloutState r, ClusterState cs, String revision, DeliveryException e) {
    if (!revision.equals(cs.assigned)) {
      return; // a newer revision was assigned meanwhile
    }
    cs.reported = revision;
    cs.phase = BundleView.FAILED;
    cs.message = "not delivered: " + e.getMessage();
    cs.objects = List.of();
    cs.updatedAt = clock.instant().toString();
    dirty.add(r.name);
  }

  private void send(String cluster, DesiredBundle desired) {
    Sink sink = connected.get(cluster);
    if (sink != null) {
      sender.execute(() -> sink.send(desired));
    }
  }

  private LoadedBundle bundle(RolloutState r, String revision) throws DeliveryException {
    LoadedBundle bundle = loaded.get(r.name + "@" + revision);
    if (bundle == null) {
      bundle = LoadedBundle.load(repos, r.source, r.path, repos.resolve(r.source, revision));
      loaded.put(r.name + "@" + revision, bundle);
    }
    return bundle;
  }

  private void setPhase(RolloutState r, String phase, String message) {
    if (!phase.equals(r.phase) || !Objects.equals(message, r.message)) {
      r.phase = phase;
      r.message = message;
      dirty.add(r.name);
    }
  }

  private BundleView view(RolloutState r, boolean withClusters) {
    List<List<String>> waves = List.of();
    try {
      if (r.revision != null) {
        BundleSpec spec = bundle(r, r.revision).spec();
        waves = WavePlanner.plan(spec.rollout(), spec.select(registry.list()));
      }
    } catch (DeliveryException ignored) {
      // The phase already says why the bundle cannot be loaded.
    }
    return RolloutViews.view(r, connected.keySet(), waves, withClusters);
  }

  private Optional<BundleView> act(String name, Consumer<RolloutState> action) {
    return call(() -> {
      RolloutState r = rollouts.get(name);
      if (r == null) {
        return Optional.empty();
      }
      action.accept(r);
      dirty.add(name);
      tick(r);
      return Optional.of(view(r, true));
    });
  }

  /**
   * Runs work on the engine's thread. What it changed is stored with the next step, not at once:
   * a thousand agents reporting within a second must not mean a thousand store commits.
   */
  private void run(Runnable work) {
    thread.execute(() -> {
      try {
        work.run();
      } catch (RuntimeException e) {
        LOG.error("rollout step failed", e);
      }
    });
  }

  private <T> T call(Callable<T> work) {
    try {
      return thread.submit(() -> {
        try {
          return work.call();
        } finally {
          persist();
        }
      }).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the rollout engine", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    }
  }

  private void persist() {
    if (dirty.isEmpty()) {
      return;
    }
    for (String name : dirty) {
      RolloutState r = rollouts.get(name);
      if (r != null) {
        try {
          store.put(name, json.writeValueAsBytes(r));
        } catch (JsonProcessingException e) {
          LOG.error("rollout of bundle {} could not be stored", name, e);
        }
      }
    }
    dirty.clear();
  }
}
