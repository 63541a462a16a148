package io.outpost.nodeproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.outpost.cache.objects.ListResult;
import io.outpost.cache.objects.ListScope;
import io.outpost.cache.objects.ObjectCache;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An emulated kube-proxy (fabric8 informers on Services and {@code discovery.k8s.io/v1}
 * EndpointSlices) and an emulated kubelet reading its pods' ConfigMap and Secret, both through the
 * node proxy; then the link is cut. Both keep their data, their watches stay open, fresh clients
 * are answered from the cache, writes get 503.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NodeProxyKubeProxyTest {

  private static final String KUBE_PROXY = "kube-proxy/v1.32.0 (linux/amd64) kubernetes/abc";
  private static final String KUBELET = "kubelet/v1.32.0 (linux/amd64) kubernetes/abc";

  @TempDir
  Path dir;

  private InProcessNodeProxy rig;

  @BeforeEach
  void start() throws Exception {
    rig = InProcessNodeProxy.start(dir);
    givenEndpointSlicesConfigMapAndSecretUpstream();
  }

  @AfterEach
  void stop() throws Exception {
    if (rig != null) {
      rig.close();
    }
  }

  /** The sandbox serves EndpointSlices and Secrets but seeds none: one slice per seeded Service, one Secret. */
  private void givenEndpointSlicesConfigMapAndSecretUpstream() {
    KubernetesClient admin = rig.sandbox.client();
    for (Service service : admin.services().inAnyNamespace().list().getItems()) {
      String ns = service.getMetadata().getNamespace();
      String name = service.getMetadata().getName();
      admin.discovery().v1().endpointSlices().inNamespace(ns).resource(new EndpointSliceBuilder()
          .withNewMetadata().withName(name + "-abcde").withNamespace(ns)
          .withLabels(Map.of("kubernetes.io/service-name", name)).endMetadata()
          .withAddressType("IPv4")
          .addNewEndpoint().withAddresses("10.244.1.7").withNodeName("edge-1-node-1").endEndpoint()
          .addNewPort().withName("http").withPort(8080).withProtocol("TCP").endPort()
          .build()).create();
    }
    admin.configMaps().inNamespace("default").resource(new ConfigMapBuilder().withNewMetadata()
        .withName("web-settings").endMetadata().addToData("mode", "edge").build()).createOrReplace();
    admin.secrets().inNamespace("default").resource(new SecretBuilder().withNewMetadata()
        .withName("web-tls").endMetadata().addToData("token", java.util.Base64.getEncoder().encodeToString("s3cret".getBytes(java.nio.charset.StandardCharsets.UTF_8))).build()).create();
  }

  private static List<String> names(List<? extends HasMetadata> objects) {
    return objects.stream().map(o -> o.getMetadata().getNamespace() + "/" + o.getMetadata().getName()).sorted()
        .toList();
  }

  private void awaitCached(String client, String resource, int count) {
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(rig.cache.list(ListScope.of(client, resource, ObjectCache.ALL_NAMESPACES)))
            .isInstanceOfSatisfying(ListResult.Found.class, found -> assertThat(found.items()).hasSize(count)));
  }

  private void cutTheLink() {
    rig.link.cut();
    await().atMost(Duration.ofSeconds(10)).until(() -> !rig.proxy.health().isHealthy());
  }

  @Test
  void givenKubeProxyInformersAndKubeletReads_whenLinkIsCut_thenDataIsKeptWatchesStayOpenFreshClientsReadFromCache()
      throws Exception {
    List<String> services = names(rig.sandbox.client().services().inAnyNamespace().list().getItems());
    List<String> slices = names(rig.sandbox.client().discovery().v1().endpointSlices().inAnyNamespace().list()
        .getItems());
    assertThat(slices).hasSameSizeAs(services).isNotEmpty();
    try (KubernetesClient kubeProxy = rig.client(KUBE_PROXY, "default");
         KubernetesClient kubelet = rig.client(KUBELET, "default")) {
      SharedIndexInformer<Service> serviceInformer = kubeProxy.services().inAnyNamespace().inform();
      SharedIndexInformer<EndpointSlice> sliceInformer =
          kubeProxy.discovery().v1().endpointSlices().inAnyNamespace().inform();
      await().atMost(Duration.ofSeconds(10)).until(() -> serviceInformer.hasSynced() && sliceInformer.hasSynced());
      ConfigMap settings = kubelet.configMaps().withName("web-settings").get();
      Secret secret = kubelet.secrets().withName("web-tls").get();
      awaitCached("kube-proxy", "/v1/services", services.size());
      awaitCached("kube-proxy", "discovery.k8s.io/v1/endpointslices", slices.size());
      await().atMost(Duration.ofSeconds(10)).until(() ->
          rig.cache.get("kubelet", "/v1/secrets", "default", "web-tls").isPresent()
              && rig.cache.get("kubelet", "/v1/configmaps", "default", "web-settings").isPresent());

      cutTheLink();

      // The informers keep their data and their watches are held open by the proxy, not failing.
      await().atMost(Duration.ofSeconds(10)).until(() -> serviceInformer.isWatching() && sliceInformer.isWatching());
      await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() ->
          serviceInformer.isWatching() && sliceInformer.isWatching());
      assertThat(names(serviceInformer.getStore().list())).isEqualTo(services);
      assertThat(names(sliceInformer.getStore().list())).isEqualTo(slices);
      // The running kubelet still reads its pod's volumes.
      assertThat(kubelet.configMaps().withName("web-settings").get().getData()).isEqualTo(settings.getData());
      assertThat(kubelet.secrets().withName("web-tls").get().getData()).isEqualTo(secret.getData()).containsKey("token");
    }
    try (KubernetesClient freshKubeProxy = rig.client(KUBE_PROXY, "default");
         KubernetesClient freshKubelet = rig.client(KUBELET, "default")) {
      assertThat(names(freshKubeProxy.services().inAnyNamespace().list().getItems())).isEqualTo(services);
      List<EndpointSlice> cachedSlices = freshKubeProxy.discovery().v1().endpointSlices().inAnyNamespace().list()
          .getItems();
      assertThat(names(cachedSlices)).isEqualTo(slices);
      assertThat(cachedSlices).allSatisfy(s -> assertThat(s.getEndpoints().get(0).getAddresses())
          .containsExactly("10.244.1.7"));
      assertThat(freshKubeProxy.discovery().v1().endpointSlices().inAnyNamespace()
          .withLabel("kubernetes.io/service-name", services.get(0).split("/")[1]).list().getItems()).hasSize(1);
      assertThat(freshKubelet.secrets().withName("web-tls").get().getData()).containsKey("token");
      assertThat(freshKubelet.configMaps().withName("web-settings").get().getData()).containsEntry("mode", "edge");
      // The kube-proxy's answers are its own: the kubelet never listed services.
      assertThatThrownBy(() -> freshKubelet.services().inAnyNamespace().list())
          .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(503));
      assertThatThrownBy(() -> freshKubeProxy.discovery().v1().endpointSlices().inNamespace("default")
          .resource(new EndpointSliceBuilder().withNewMetadata().withName("new-slice").endMetadata()
              .withAddressType("IPv4").build()).create())
          .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
            assertThat(e.getCode()).isEqualTo(503);
            assertThat(e.getMessage()).contains("unreachable");
          });
    }
  }
}
