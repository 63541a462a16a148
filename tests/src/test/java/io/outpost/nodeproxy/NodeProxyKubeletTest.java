package io.outpost.nodeproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
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


  private InProcessNodeProxy rig;

  @BeforeEach
  void start() throws Exception {
    rig = InProcessNodeProxy.start(dir);
  }

  @AfterEach
  void stop() throws Exception {
    if (rig != null) {
      rig.close();
    }
  }

  private KubernetesClient kubelet() {
    return rig.client(KUBELET, NS);
  }


  private Pod createUpstream(String name) {
    return rig.sandbox.client().pods().inNamespace(NS).resource(new PodBuilder()
        .withNewMetadata().withName(name).withNamespace(NS).addToLabels("app", name).endMetadata()
        .withNewSpec().withNodeName(NODE).addNewContainer().withName("main").withImage("nginx:1.27").endContainer()
        .endSpec().build()).create();
  }

  private static List<String> names(List<Pod> pods) {
    return pods.stream().map(p -> p.getMetadata().getName()).toList();
  }

  private void cutLinkAndAwaitOutage() {
    rig.link.cut();
    await().atMost(Duration.ofSeconds(10)).until(() -> !rig.proxy.health().isHealthy());
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
      await().atMost(Duration.ofSeconds(10)).until(() -> rig.cache.get("kubelet", "/v1/pods", NS, "doomed").isPresent());
      cutLinkAndAwaitOutage();
      createUpstream("born-offline");
      rig.sandbox.client().pods().inNamespace(NS).withName("doomed").delete();

      rig.link.restore();

      await("the pod created during the outage reaches the kubelet's informer").atMost(Duration.ofSeconds(10))
          .until(() -> informer.getStore().getByKey(NS + "/born-offline") != null);
      await("the pod deleted during the outage leaves the cache").atMost(Duration.ofSeconds(10))
          .until(() -> rig.cache.get("kubelet", "/v1/pods", NS, "doomed").isEmpty());
      assertThat(informer.getStore().getByKey(NS + "/doomed")).isNull();
      cutLinkAndAwaitOutage();
      try (KubernetesClient fresh = kubelet()) {
        List<String> listed = names(fresh.pods().inNamespace(NS).list().getItems());

        assertThat(listed).contains("born-offline").doesNotContain("doomed");
      }
    }
  }
}
