package io.outpost.nodeproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.outpost.agent.nodeproxy.NodeProxy;
import io.outpost.agent.nodeproxy.NodeProxySettings;
import io.outpost.agent.nodeproxy.UpstreamHealth;
import io.outpost.cache.objects.CacheBudget;
import io.outpost.cache.objects.DurableObjectCache;
import io.outpost.cache.objects.ObjectCache;
import io.outpost.sandbox.SandboxCluster;
import io.outpost.sandbox.SandboxSpec;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An emulated kubelet (a fabric8 pod informer with the kubelet's user agent) running through the
 * node proxy across an outage: what it watched online is listed from the cache by a fresh kubelet
 * while the link is cut, and once the link is back the changes made meanwhile reach it and the
 * cache.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NodeProxyKubeletTest {

  private static final String NODE = "edge-1-node-1";
  private static final String KUBELET = "kubelet/1.32";
  private static final String NS = "default";

  @TempDir
  Path dir;

  private SandboxCluster sandbox;
  private FaultyLink link;
  private KubernetesClient upstream;
  private ObjectCache cache;
  private NodeProxy proxy;

  @BeforeEach
  void start() throws Exception {
    sandbox = SandboxCluster.start(SandboxSpec.builder("edge-1").build());
    link = new FaultyLink(sandbox.port());
    Config config = new ConfigBuilder(Config.empty()).withMasterUrl("http://127.0.0.1:" + link.port())
        .withOauthToken(SandboxCluster.TOKEN).withHttp2Disable(true).withRequestRetryBackoffLimit(0).build();
    upstream = new KubernetesClientBuilder().withConfig(config).withHttpClientFactory(new JdkHttpClientFactory())
        .build();
    cache = DurableObjectCache.open(dir.resolve("objects.db"), CacheBudget.defaults());
    UpstreamHealth.Settings health = new UpstreamHealth.Settings(Duration.ofMillis(200), Duration.ofMillis(500), 3, 2);
    proxy = NodeProxy.start(URI.create(config.getMasterUrl()), upstream.getHttpClient(), cache,
        NodeProxySettings.defaults().withPort(0).withHealth(health));
  }

  @AfterEach
  void stop() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    if (cache != null) {
      cache.close();
    }
    if (upstream != null) {
      upstream.close();
    }
    if (link != null) {
      link.close();
    }
    if (sandbox != null) {
      sandbox.close();
    }
  }

  private KubernetesClient kubelet() {
    Config config = new ConfigBuilder(Config.empty()).withMasterUrl("http://127.0.0.1:" + proxy.port())
        .withUserAgent(KUBELET).withHttp2Disable(true).withOnlyHttpWatches(true).withRequestRetryBackoffLimit(0)
        .withWatchReconnectInterval(200).withNamespace(NS).build();
    return new KubernetesClientBuilder().withConfig(config).withHttpClientFactory(new JdkHttpClientFactory()).build();
  }

  private Pod createUpstream(String name) {
    return sandbox.client().pods().inNamespace(NS).resource(new PodBuilder()
        .withNewMetadata().withName(name).withNamespace(NS).addToLabels("app", name).endMetadata()
        .withNewSpec().withNodeName(NODE).addNewContainer().withName("main").withImage("nginx:1.27").endContainer()
        .endSpec().build()).create();
  }

  private static List<String> names(List<Pod> pods) {
    return pods.stream().map(p -> p.getMetadata().getName()).toList();
  }

  private void cutLinkAndAwaitOutage() {
    link.cut();
    await().atMost(Duration.ofSeconds(10)).until(() -> !proxy.health().isHealthy());
  }

  @Test
  void givenKubeletInformerOnline_whenPodIsCreatedUpstreamAndLinkIsCut_thenAFreshKubeletListsThatPodFromCache() {
    try (KubernetesClient kubelet = kubelet();
         SharedIndexInformer<Pod> informer = kubelet.pods().inNamespace(NS).inform()) {
      createUpstream("watched-online");
      await().atMost(Duration.ofSeconds(10))
          .until(() -> informer.getStore().getByKey(NS + "/watched-online") != null);

      cutLinkAndAwaitOutage();

      try (KubernetesClient fresh = kubelet()) {
        List<Pod> all = fresh.pods().inNamespace(NS).list().getItems();
        List<Pod> mine = fresh.pods().inNamespace(NS).withField("spec.nodeName", NODE).list().getItems();

        assertThat(names(all)).contains("watched-online");
        assertThat(names(mine)).contains("watched-online");
        assertThat(mine).allSatisfy(p -> assertThat(p.getSpec().getNodeName()).isEqualTo(NODE));
        assertThat(fresh.pods().inNamespace(NS).withName("watched-online").get()).isNotNull();
      }
    }
  }

  @Test
  void givenOutage_whenLinkIsRestored_thenAPodCreatedMeanwhileReachesTheKubeletWithin10sAndADeletedOneLeavesTheCache() {
    try (KubernetesClient kubelet = kubelet();
         SharedIndexInformer<Pod> informer = kubelet.pods().inNamespace(NS).inform()) {
      createUpstream("doomed");
      await().atMost(Duration.ofSeconds(10)).until(() -> informer.getStore().getByKey(NS + "/doomed") != null);
      await().atMost(Duration.ofSeconds(10)).until(() -> cache.get("kubelet", "/v1/pods", NS, "doomed").isPresent());
      cutLinkAndAwaitOutage();
      createUpstream("born-offline");
      sandbox.client().pods().inNamespace(NS).withName("doomed").delete();

      link.restore();

      await("the pod created during the outage reaches the kubelet's informer").atMost(Duration.ofSeconds(10))
          .until(() -> informer.getStore().getByKey(NS + "/born-offline") != null);
      await("the pod deleted during the outage leaves the cache").atMost(Duration.ofSeconds(10))
          .until(() -> cache.get("kubelet", "/v1/pods", NS, "doomed").isEmpty());
      assertThat(informer.getStore().getByKey(NS + "/doomed")).isNull();
      cutLinkAndAwaitOutage();
      try (KubernetesClient fresh = kubelet()) {
        List<String> listed = names(fresh.pods().inNamespace(NS).list().getItems());

        assertThat(listed).contains("born-offline").doesNotContain("doomed");
      }
    }
  }
}
