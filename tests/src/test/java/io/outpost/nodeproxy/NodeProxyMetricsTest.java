package io.outpost.nodeproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /outpost/metrics} on the proxy's own port: what an operator scrapes through an outage. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NodeProxyMetricsTest {

  @TempDir
  Path dir;

  private InProcessNodeProxy rig;
  private final HttpClient raw = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    rig = InProcessNodeProxy.start(dir);
  }

  @AfterEach
  void stop() throws Exception {
    rig.close();
  }

  private HttpResponse<String> scrape() throws Exception {
    return raw.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + rig.proxy.port() + "/outpost/metrics"))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  private double sample(String series) throws Exception {
    return NodeProxyProcess.sample(scrape().body(), series);
  }

  @Test
  void givenTrafficAndAnOutage_whenMetricsAreScraped_thenHitsMissesBytesEntriesHealthAndOutagesShowIt()
      throws Exception {
    int pods;
    try (KubernetesClient kubelet = rig.client("kubelet/1.32", "default")) {
      pods = kubelet.pods().inAnyNamespace().list().getItems().size();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> sample("outpost_node_proxy_cache_entries{client=\"kubelet\"}")
        == pods);
    assertThat(sample("outpost_node_proxy_upstream_healthy")).isEqualTo(1);
    assertThat(sample("outpost_node_proxy_outages_total")).isZero();
    assertThat(sample("outpost_node_proxy_requests_forwarded_total")).isGreaterThanOrEqualTo(1);
    assertThat(sample("outpost_node_proxy_cache_commits_total")).isGreaterThanOrEqualTo(1);

    rig.link.cut();
    await().atMost(Duration.ofSeconds(10)).until(() -> !rig.proxy.health().isHealthy());
    try (KubernetesClient kubelet = rig.client("kubelet/1.32", "default")) {
      assertThat(kubelet.pods().inAnyNamespace().withField("spec.nodeName", "edge-1-node-1").list().getItems())
          .isNotEmpty();
      assertThatThrownBy(() -> kubelet.configMaps().inAnyNamespace().list())
          .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(503));
    }

    HttpResponse<String> page = scrape();
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
    String metrics = page.body();
    assertThat(metrics).contains("# TYPE outpost_node_proxy_cache_hits_total counter");
    assertThat(NodeProxyProcess.sample(metrics, "outpost_node_proxy_upstream_healthy")).isZero();
    assertThat(NodeProxyProcess.sample(metrics, "outpost_node_proxy_outages_total")).isEqualTo(1);
    assertThat(NodeProxyProcess.sample(metrics, "outpost_node_proxy_cache_hits_total{client=\"kubelet\"}"))
        .isGreaterThanOrEqualTo(1);
    assertThat(NodeProxyProcess.sample(metrics, "outpost_node_proxy_cache_misses_total{client=\"kubelet\"}"))
        .isGreaterThanOrEqualTo(1);
    assertThat(NodeProxyProcess.sample(metrics, "outpost_node_proxy_cache_bytes{client=\"kubelet\"}"))
        .isGreaterThan(pods * 100);
    assertThat(NodeProxyProcess.sample(metrics, "outpost_node_proxy_requests_from_cache_total"))
        .isGreaterThanOrEqualTo(2);

    rig.link.restore();
    await().atMost(Duration.ofSeconds(10)).until(() -> sample("outpost_node_proxy_upstream_healthy") == 1);
    assertThat(sample("outpost_node_proxy_outages_total")).isEqualTo(1);
  }
}
