package io.outpost.nodeproxy;

import io.outpost.testing.FaultyLink;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.outpost.sandbox.SandboxCluster;
import io.outpost.sandbox.SandboxSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code outpost agent node-proxy --config FILE}: every flag can come from a flat YAML / properties
 * file, flags on the command line win, and an unknown key is refused naming the file and the key.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NodeProxyConfigFileTest {

  @TempDir
  Path dir;

  private SandboxCluster sandbox;
  private FaultyLink link;
  private Path kubeconfig;
  private NodeProxyProcess proxy;

  @BeforeEach
  void start() throws Exception {
    sandbox = SandboxCluster.start(SandboxSpec.builder("edge-1").build());
    link = new FaultyLink(sandbox.port());
    kubeconfig = dir.resolve("upstream.kubeconfig");
    Files.writeString(kubeconfig, sandbox.kubeconfig("edge-1").replace(sandbox.url(), "http://127.0.0.1:"
        + link.port()));
  }

  @AfterEach
  void stop() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    link.close();
    sandbox.close();
  }

  private static KubernetesClient client(NodeProxyProcess through, String userAgent) {
    Config config = new ConfigBuilder(Config.empty()).withMasterUrl(through.url()).withUserAgent(userAgent)
        .withHttp2Disable(true).withRequestRetryBackoffLimit(0).withNamespace("default").build();
    return new KubernetesClientBuilder().withConfig(config).withHttpClientFactory(new JdkHttpClientFactory()).build();
  }

  @Test
  void givenAYamlConfigFile_whenProxyStartsWithItAndSomeFlags_thenFileValuesApplyAndFlagsWin() throws Exception {
    Path file = Files.writeString(dir.resolve("node-proxy.yaml"), String.join("\n",
        "# node proxy settings",
        "# overridden by --listen on the command line; would not bind",
        "listen: \"256.0.0.1:10261\"",
        "cache-clients: kube-proxy",
        "probe-interval: 200ms",
        "failure-threshold: 2",
        "retry-after: 17",
        "cache-max-bytes: 8Mi",
        ""));

    proxy = NodeProxyProcess.start(kubeconfig, dir.resolve("data"), dir.resolve("logs"), "--config", file.toString());

    assertThat(proxy.output()).contains("caching kube-proxy");
    assertThat(NodeProxyProcess.sample(proxy.metrics(), "outpost_node_proxy_cache_max_bytes")).isEqualTo(8 << 20);
    try (KubernetesClient kubelet = client(proxy, "kubelet/1.32");
         KubernetesClient kubeProxy = client(proxy, "kube-proxy/1.32")) {
      assertThat(kubelet.pods().inAnyNamespace().list().getItems()).isNotEmpty();
      assertThat(kubeProxy.services().inAnyNamespace().list().getItems()).isNotEmpty();
    }
    long cut = System.nanoTime();
    link.cut();
    NodeProxyProcess running = proxy;
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() ->
        NodeProxyProcess.sample(running.metrics(), "outpost_node_proxy_upstream_healthy") == 0);
    assertThat(Duration.ofNanos(System.nanoTime() - cut)).as("200ms probes, 2 failures")
        .isLessThan(Duration.ofSeconds(3));
    try (KubernetesClient kubelet = client(proxy, "kubelet/1.32");
         KubernetesClient kubeProxy = client(proxy, "kube-proxy/1.32")) {
      assertThat(kubeProxy.services().inAnyNamespace().list().getItems()).isNotEmpty();
      assertThatThrownBy(() -> kubelet.pods().inAnyNamespace().list())
          .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
            assertThat(e.getCode()).isEqualTo(503);
            assertThat(e.getMessage()).contains("client kubelet is not cached");
          });
      assertThatThrownBy(() -> kubelet.configMaps().inNamespace("default").resource(
              new io.fabric8.kubernetes.api.model.ConfigMapBuilder().withNewMetadata().withName("x").endMetadata()
                  .build()).create())
          .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(503));
    }
    java.net.http.HttpResponse<String> write = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(proxy.url() + "/api/v1/namespaces/default/configmaps"))
            .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(write.headers().firstValue("Retry-After")).hasValue("17");
  }

  @Test
  void givenAConfigFileWithAnUnknownKey_whenProxyStarts_thenItExitsNamingTheFileTheKeyAndTheValidKeys()
      throws Exception {
    Path file = Files.writeString(dir.resolve("node-proxy.properties"), "listen=127.0.0.1:0\nlisten-port=1\n");

    proxy = NodeProxyProcess.launch(kubeconfig, dir.resolve("data"), dir.resolve("logs"), "--config",
        file.toString());

    assertThat(proxy.awaitExit(Duration.ofSeconds(30))).isEqualTo(2);
    assertThat(proxy.stderr()).contains(file.toString()).contains("unknown key 'listen-port'")
        .contains("data-dir").contains("cache-clients");
  }
}
