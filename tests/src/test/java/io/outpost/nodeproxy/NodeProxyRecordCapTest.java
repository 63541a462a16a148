package io.outpost.nodeproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Answers larger than {@code maxRecordedBodyBytes}: the client gets them complete, the cache does
 * not keep them (so an outage answers 503 for them, not a truncated or stale list), and the metrics
 * count them. Smaller answers next to them are cached as usual.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NodeProxyRecordCapTest {

  private static final int CAP = 64 << 10;
  private static final int BIG_ITEMS = 200;

  @TempDir
  Path dir;

  private InProcessNodeProxy rig;

  @BeforeEach
  void start() throws Exception {
    rig = InProcessNodeProxy.start(dir, settings -> settings.withMaxRecordedBodyBytes(CAP));
    for (String namespace : List.of("big", "small")) {
      rig.upstream.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata()
          .build()).create();
    }
    // 200 ConfigMaps of ~1 KiB: a LIST of some 250 KiB, four times the cap.
    IntStream.range(0, BIG_ITEMS).forEach(i -> rig.upstream.configMaps().inNamespace("big")
        .resource(configMap("cm-" + i, "x".repeat(1000))).create());
    rig.upstream.configMaps().inNamespace("big").resource(configMap("huge", "y".repeat(CAP * 2))).create();
    rig.upstream.configMaps().inNamespace("small").resource(configMap("settings", "z")).create();
  }

  @AfterEach
  void stop() throws Exception {
    rig.close();
  }

  private static ConfigMap configMap(String name, String value) {
    return new ConfigMapBuilder().withNewMetadata().withName(name).endMetadata().addToData("value", value).build();
  }

  @Test
  void givenAnswersAboveTheCap_whenKubeletReadsThem_thenTheyArriveCompleteButAreNotCachedAndAreCounted()
      throws Exception {
    try (KubernetesClient kubelet = rig.client("kubelet/1.32", "default")) {
      List<ConfigMap> big = kubelet.configMaps().inNamespace("big").list().getItems();
      assertThat(big).hasSize(BIG_ITEMS + 1);
      assertThat(big).filteredOn(cm -> cm.getMetadata().getName().startsWith("cm-"))
          .allSatisfy(cm -> assertThat(cm.getData().get("value")).hasSize(1000));
      assertThat(kubelet.configMaps().inNamespace("big").withName("huge").get().getData().get("value"))
          .hasSize(CAP * 2);
      assertThat(kubelet.configMaps().inNamespace("small").list().getItems()).extracting(cm -> cm.getMetadata()
          .getName()).containsExactly("settings");
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> sample("outpost_node_proxy_cache_writes_queued") == 0
        && sample("outpost_node_proxy_cache_entries{client=\"kubelet\"}") == 1);
    assertThat(sample("outpost_node_proxy_answers_too_large_to_cache_total")).isEqualTo(2);
    assertThat(sample("outpost_node_proxy_max_recorded_body_bytes")).isEqualTo(CAP);

    rig.link.cut();
    await().atMost(Duration.ofSeconds(10)).until(() -> !rig.proxy.health().isHealthy());
    try (KubernetesClient kubelet = rig.client("kubelet/1.32", "default")) {
      assertThat(kubelet.configMaps().inNamespace("small").list().getItems()).hasSize(1);
      assertThatThrownBy(() -> kubelet.configMaps().inNamespace("big").list())
          .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(503));
      assertThatThrownBy(() -> kubelet.configMaps().inNamespace("big").withName("huge").get())
          .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(503));
    }
  }

  private double sample(String series) throws Exception {
    HttpResponse<String> page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + rig.proxy.port() + "/outpost/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    return NodeProxyProcess.sample(page.body(), series);
  }
}
