package io.outpost.agent.proxy;

import io.fabric8.kubernetes.api.model.ListMeta;
import io.fabric8.kubernetes.api.model.ListOptions;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.outpost.tunnel.proto.ClusterSummary;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Keeps a fresh summary of the member cluster (version, nodes, pods) for heartbeats. Refreshed
 * on its own schedule so a slow apiserver never delays a heartbeat; an unreachable one is
 * reported in the summary rather than hidden.
 */
public final class ClusterSummaries implements AutoCloseable {

  private static final ListOptions FIRST_ONLY = new ListOptionsBuilder().withLimit(1L).build();

  private final KubernetesClient client;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "cluster-summary");
    t.setDaemon(true);
    return t;
  });
  private volatile ClusterSummary latest = ClusterSummary.newBuilder().setApiserverError("not yet probed").build();

  public ClusterSummaries(KubernetesClient client) {
    this.client = client;
  }

  /** Takes a first summary now (so the hello carries it), then refreshes every {@code interval}. */
  public ClusterSummaries start(Duration interval) {
    refresh();
    timer.scheduleWithFixedDelay(this::refresh, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  public ClusterSummary latest() {
    return latest;
  }

  void refresh() {
    try {
      latest = ClusterSummary.newBuilder()
          .setKubernetesVersion(client.getKubernetesVersion().getGitVersion())
          .setNodeCount(count(client.nodes().list(FIRST_ONLY), () -> client.nodes().list()))
          .setPodCount(count(client.pods().inAnyNamespace().list(FIRST_ONLY),
              () -> client.pods().inAnyNamespace().list()))
          .build();
    } catch (RuntimeException e) {
      latest = latest.toBuilder().setApiserverError(String.valueOf(e.getMessage())).build();
    }
  }

  /**
   * Counts with one small request where the apiserver reports remainingItemCount; falls back to a
   * full list where it pages without saying how much is left.
   */
  private static int count(KubernetesResourceList<?> page, Supplier<KubernetesResourceList<?>> fullList) {
    ListMeta meta = page.getMetadata();
    if (meta != null && meta.getRemainingItemCount() != null) {
      return (int) (page.getItems().size() + meta.getRemainingItemCount());
    }
    if (meta != null && meta.getContinue() != null && !meta.getContinue().isEmpty()) {
      return fullList.get().getItems().size();
    }
    return page.getItems().size();
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
