package io.outpost.agent.delivery;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import io.micronaut.context.annotation.Requires;
import io.outpost.agent.AgentFeature;
import io.outpost.agent.ComponentStatuses;
import io.outpost.agent.config.AgentSettings;
import io.outpost.tunnel.client.TunnelClient;
import io.outpost.tunnel.delivery.BundleReport;
import io.outpost.tunnel.delivery.DeliveryGrpc;
import io.outpost.tunnel.delivery.DesiredBundle;
import io.outpost.tunnel.delivery.DriftMode;
import io.outpost.tunnel.delivery.Phase;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's GitOps applier. On every connect it opens the Delivery stream, tells the hub what it
 * holds, and applies each desired bundle the hub sends; it keeps the last desired bundle of each
 * in its own store ({@code delivery.db} in the data dir) and checks for drift on an interval
 * whether the hub is reachable or not (reporting it, or correcting it when the bundle says so).
 * Reports made while offline are sent when the link is back.
 *
 * <p>All cluster work runs on one thread, so an apply and a drift check never overlap.
 */
@Singleton
@Requires(beans = AgentSettings.class)
public class DeliveryFeature implements AgentFeature, TunnelClient.ConnectionListener {

  private static final Logger LOG = LoggerFactory.getLogger(DeliveryFeature.class);

  private final TunnelClient tunnel;
  private final ComponentStatuses components;
  private final DeliverySettings settings;
  private final BundleStore store;
  private final BundleApplier applier;
  private final Map<String, BundleReport> lastReports = new ConcurrentHashMap<>();
  private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "outpost-delivery");
    t.setDaemon(true);
    return t;
  });
  private volatile StreamObserver<BundleReport> upstream;

  public DeliveryFeature(TunnelClient tunnel, KubernetesClient kubernetes, AgentSettings agent,
      DeliverySettings settings, ComponentStatuses components) {
    this.tunnel = tunnel;
    this.components = components;
    this.settings = settings;
    this.store = new BundleStore(agent.getDataDir().resolve("delivery.db"));
    this.applier = new BundleApplier(new KubeApplier(kubernetes), store);
  }

  @Override
  public void start() {
    components.register("delivery", this::summary);
    tunnel.addListener(this);
    long drift = settings.getDriftInterval().toMillis();
    worker.scheduleWithFixedDelay(this::checkDrift, drift, drift, TimeUnit.MILLISECONDS);
  }

  @Override
  public void connected(Channel channel) {
    worker.execute(() -> open(channel));
  }

  @Override
  public void disconnected(String reason) {
    upstream = null;
  }

  /** The bundles this agent holds and their last reported phase (tests, status line). */
  public Map<String, BundleReport> reports() {
    return Map.copyOf(lastReports);
  }

  @Override
  @PreDestroy
  public void close() {
    worker.shutdown();
    try {
      if (!worker.awaitTermination(5, TimeUnit.SECONDS)) {
        worker.shutdownNow();
      }
    } catch (InterruptedException e) {
      worker.shutdownNow();
      Thread.currentThread().interrupt();
    }
    StreamObserver<BundleReport> up = upstream;
    upstream = null;
    if (up != null) {
      try {
        up.onCompleted();
      } catch (RuntimeException ignored) {
        // The stream is already gone.
      }
    }
    store.close();
  }

  private void open(Channel channel) {
    StreamObserver<BundleReport> up = DeliveryGrpc.newStub(channel).sync(new StreamObserver<>() {
      @Override
      public void onNext(DesiredBundle desired) {
        worker.execute(() -> handle(desired));
      }

      @Override
      public void onError(Throwable t) {
        LOG.debug("delivery stream closed: {}", t.getMessage());
      }

      @Override
      public void onCompleted() {
        // The hub closes the stream only when it shuts down; the tunnel reconnects.
      }
    });
    upstream = up;
    // Tell the hub what this cluster holds: it answers with removals for bundles that no longer
    // target it and, as for every connect, with the current desired revisions.
    for (DesiredBundle held : store.desired().values()) {
      BundleReport last = lastReports.get(held.getBundle());
      send(last != null ? last : BundleReport.newBuilder().setBundle(held.getBundle())
          .setRevision(held.getRevision()).setPhase(Phase.APPLYING).build());
    }
  }

  private void handle(DesiredBundle desired) {
    try {
      if (desired.getRemoved()) {
        lastReports.remove(desired.getBundle());
        send(applier.remove(desired.getBundle()));
        return;
      }
      BundleReport last = lastReports.get(desired.getBundle());
      if (last != null && last.getPhase() == Phase.SYNCED && desired.equals(store.desired(desired.getBundle()))) {
        send(last); // a reconnect resends what is already applied and in sync
        return;
      }
      send(BundleReport.newBuilder().setBundle(desired.getBundle()).setRevision(desired.getRevision())
          .setPhase(Phase.APPLYING).build());
      record(applier.apply(desired));
    } catch (RuntimeException e) {
      LOG.error("bundle {}: apply failed", desired.getBundle(), e);
      record(BundleReport.newBuilder().setBundle(desired.getBundle()).setRevision(desired.getRevision())
          .setPhase(Phase.FAILED).setMessage("agent error: " + e).build());
    }
  }

  private void checkDrift() {
    for (DesiredBundle desired : store.desired().values()) {
      try {
        BundleReport report = applier.checkDrift(desired);
        BundleReport last = lastReports.get(desired.getBundle());
        // A failed apply stays Failed (not OutOfSync) until a new revision or a successful retry.
        boolean failed = last != null && last.getPhase() == Phase.FAILED
            && last.getRevision().equals(desired.getRevision());
        if (report.getPhase() == Phase.OUT_OF_SYNC && desired.getDrift() == DriftMode.DRIFT_CORRECT) {
          if (!failed) {
            LOG.info("bundle {}: correcting drift: {}", desired.getBundle(), report.getMessage());
            record(report);
          }
          record(applier.apply(desired));
        } else if (!failed) {
          record(report);
        }
      } catch (RuntimeException e) {
        LOG.warn("bundle {}: drift check failed: {}", desired.getBundle(), e.toString());
      }
    }
  }

  /** Keeps the report (re-sent on reconnect) and sends it if it says something new. */
  private void record(BundleReport report) {
    BundleReport previous = lastReports.put(report.getBundle(), report);
    if (!report.equals(previous)) {
      send(report);
    }
  }

  private void send(BundleReport report) {
    StreamObserver<BundleReport> up = upstream;
    if (up == null) {
      return;
    }
    synchronized (this) {
      try {
        up.onNext(report);
      } catch (RuntimeException e) {
        LOG.debug("delivery report not sent: {}", e.getMessage());
      }
    }
  }

  private String summary() {
    long synced = lastReports.values().stream().filter(r -> r.getPhase() == Phase.SYNCED).count();
    return lastReports.size() + " bundles, " + synced + " synced";
  }
}
