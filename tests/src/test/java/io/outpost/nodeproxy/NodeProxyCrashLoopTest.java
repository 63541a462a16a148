package io.outpost.nodeproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.outpost.cache.objects.CacheBudget;
import io.outpost.cache.objects.CachedObject;
import io.outpost.cache.objects.DurableObjectCache;
import io.outpost.sandbox.SandboxCluster;
import io.outpost.sandbox.SandboxSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety of the node proxy process: while upstream churns ConfigMaps (creates, then updates)
 * and a kubelet-like informer lists and watches them through the proxy (heavy, group-committed
 * cache writes), the proxy is killed with SIGKILL at random moments and started again on the same
 * data dir. Every restart opens the cache without moving it aside, and every watch event the
 * proxy reported committed ({@code outpost_node_proxy_cache_committed_resource_version} on
 * {@code /outpost/metrics}, read just before the kill) is in the file: each object's cached version
 * is at least as new as its newest version at or below that watermark.
 */
class NodeProxyCrashLoopTest {

  private static final String NAMESPACE = "churn";
  private static final String WATERMARK =
      "outpost_node_proxy_cache_committed_resource_version{client=\"kubelet\",resource=\"/v1/configmaps\"}";
  private static final int OBJECTS = 400;

  @TempDir
  Path dir;

  private SandboxCluster sandbox;
  private Path kubeconfig;
  private NodeProxyProcess proxy;
  private final AtomicBoolean churning = new AtomicBoolean(true);
  private Thread churn;
  /** name → resourceVersions upstream gave it (creation, then each update). */
  private final Map<String, NavigableSet<Long>> versions = new ConcurrentHashMap<>();

  @BeforeEach
  void startUpstreamChurn() throws Exception {
    sandbox = SandboxCluster.start(SandboxSpec.builder("edge-1").build());
    kubeconfig = sandbox.writeKubeconfig(dir.resolve("upstream.kubeconfig"), "edge-1");
    sandbox.client().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE)
        .endMetadata().build()).create();
    churn = new Thread(this::churn, "upstream-churn");
    churn.start();
  }

  @AfterEach
  void stop() throws Exception {
    churning.set(false);
    if (churn != null) {
      churn.join(10_000);
    }
    if (proxy != null) {
      proxy.close();
    }
    sandbox.close();
  }

  /** Creates {@value #OBJECTS} ConfigMaps, then updates them round-robin, as fast as upstream takes it. */
  private void churn() {
    KubernetesClient admin = sandbox.client();
    for (long i = 0; churning.get(); i++) {
      String name = "cm-" + (i % OBJECTS);
      ConfigMap wanted = new ConfigMapBuilder().withNewMetadata().withName(name).withNamespace(NAMESPACE)
          .endMetadata().addToData("generation", Long.toString(i)).addToData("payload", "x".repeat(512)).build();
      try {
        ConfigMap written = i < OBJECTS ? admin.configMaps().inNamespace(NAMESPACE).resource(wanted).create()
            : admin.configMaps().inNamespace(NAMESPACE).resource(wanted).update();
        versions.computeIfAbsent(name, n -> new ConcurrentSkipListSet<>())
            .add(Long.parseLong(written.getMetadata().getResourceVersion()));
      } catch (RuntimeException e) {
        if (churning.get()) {
          throw e;
        }
      }
    }
  }

  private static KubernetesClient kubelet(NodeProxyProcess through) {
    Config config = new ConfigBuilder(Config.empty()).withMasterUrl(through.url()).withUserAgent("kubelet/1.32")
        .withHttp2Disable(true).withOnlyHttpWatches(true).withRequestRetryBackoffLimit(0)
        // The upstream churns as fast as it can on a shared 2-core machine: give the relist time.
        .withRequestTimeout(60_000).withNamespace(NAMESPACE).build();
    return new KubernetesClientBuilder().withConfig(config).withHttpClientFactory(new JdkHttpClientFactory()).build();
  }

  @Test
  void givenHeavyCacheWrites_whenProxyIsKilledHard3Times_thenEveryCommittedEventSurvives() throws Exception {
    killLoop(3, 3);
  }

  @Test
  @Tag("long")
  void givenHeavyCacheWrites_whenProxyIsKilledHard20Times_thenEveryCommittedEventSurvives() throws Exception {
    killLoop(20, 20);
  }

  private void killLoop(int kills, long seed) throws Exception {
    Random random = new Random(seed);
    Path data = dir.resolve("data");
    long watermark = -1;
    long checkedObjects = 0;
    for (int round = 1; round <= kills; round++) {
      proxy = NodeProxyProcess.start(kubeconfig, data, dir.resolve("logs"));
      assertThat(proxy.output()).as("restart %d opens the cache as it is", round)
          .doesNotContain("moved it aside").doesNotContain("discarded its content");
      long before = watermark;
      try (KubernetesClient kubelet = kubelet(proxy)) {
        SharedIndexInformer<ConfigMap> informer = kubelet.configMaps().inNamespace(NAMESPACE).inform();
        NodeProxyProcess running = proxy;
        await("round " + round + ": watch events committed").atMost(Duration.ofSeconds(20))
            .pollInterval(Duration.ofMillis(20))
            .until(() -> NodeProxyProcess.sample(running.metrics(), WATERMARK) > before);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100 + random.nextInt(900));
        while (System.nanoTime() < deadline) {
          watermark = Math.max(watermark, (long) NodeProxyProcess.sample(proxy.metrics(), WATERMARK));
        }
        proxy.killHard();
        informer.close();
      }
      checkedObjects = assertCommittedEventsAreInTheFile(data.resolve("objects.db"), watermark, round);
    }
    assertThat(checkedObjects).isEqualTo(OBJECTS);
    proxy = NodeProxyProcess.start(kubeconfig, data, dir.resolve("logs"));
    assertThat(proxy.output()).doesNotContain("moved it aside").doesNotContain("discarded its content");
  }

  /** Opens the killed proxy's file in this JVM; returns how many objects had a version at or below the watermark. */
  private long assertCommittedEventsAreInTheFile(Path file, long watermark, int round) {
    assertThat(Files.exists(file)).isTrue();
    long checked = 0;
    try (DurableObjectCache cache = DurableObjectCache.open(file, CacheBudget.defaults())) {
      for (Map.Entry<String, NavigableSet<Long>> object : versions.entrySet()) {
        Long committed = object.getValue().floor(watermark);
        if (committed == null) {
          continue;
        }
        checked++;
        Optional<CachedObject> cached = cache.get("kubelet", "/v1/configmaps", NAMESPACE, object.getKey());
        assertThat(cached).as("round %d: %s (version %d <= committed watermark %d) is in the cache", round,
            object.getKey(), committed, watermark).isPresent();
        assertThat(Long.parseLong(cached.get().resourceVersion())).as("round %d: %s", round, object.getKey())
            .isGreaterThanOrEqualTo(committed);
      }
    }
    return checked;
  }
}
