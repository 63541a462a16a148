package io.outpost.nodeproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.outpost.agent.nodeproxy.ClientAllowlist;
import io.outpost.agent.nodeproxy.NodeProxyTls;
import io.outpost.cache.objects.ListResult;
import io.outpost.cache.objects.ListScope;
import io.outpost.cache.objects.ObjectCache;
import io.outpost.tunnel.pki.CertificateAuthority;
import io.outpost.tunnel.pki.CertificateRequests;
import io.outpost.tunnel.pki.IssuedCertificate;
import io.outpost.tunnel.pki.Pem;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node proxy serving HTTPS with a client CA: a client presenting a certificate from that CA is
 * cached under its certificate's CN (as a kubelet's {@code system:node:NAME}), one without a
 * certificate under its User-Agent; an allowlist keeps the others out of the cache, and offline
 * they are told so.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NodeProxyTlsTest {

  private static final String NODE_CN = "system:node:edge-1-node-1";

  @TempDir
  Path dir;

  private InProcessNodeProxy rig;
  private Path caFile;
  private Path clientCert;
  private Path clientKey;
  private String keyAlgorithm;

  @BeforeEach
  void start() throws Exception {
    CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir.resolve("ca"), "node-proxy-test-ca",
        Clock.systemUTC());
    caFile = dir.resolve("client-ca.crt");
    Pem.write(caFile, ca.certificate());
    Path serverCert = dir.resolve("proxy.crt");
    Path serverKey = dir.resolve("proxy.key");
    ca.issueServer(List.of("localhost"), List.of("127.0.0.1"), Duration.ofDays(1)).writePem(serverCert, serverKey);
    KeyPair keys = CertificateRequests.newKeyPair();
    keyAlgorithm = keys.getPrivate().getAlgorithm();
    clientCert = dir.resolve("kubelet.crt");
    clientKey = dir.resolve("kubelet.key");
    new IssuedCertificate(ca.signClient(CertificateRequests.csr(keys, NODE_CN), NODE_CN, Duration.ofDays(1)),
        keys.getPrivate()).writePem(clientCert, clientKey);
    rig = InProcessNodeProxy.start(dir, settings -> settings
        .withTls(new NodeProxyTls(serverCert, serverKey, Optional.of(caFile)))
        .withAllowlist(ClientAllowlist.of(List.of(NODE_CN, "kube-proxy"))));
  }

  @AfterEach
  void stop() throws Exception {
    rig.close();
  }

  private KubernetesClient client(String userAgent, boolean withCertificate) {
    ConfigBuilder config = new ConfigBuilder(Config.empty()).withMasterUrl("https://127.0.0.1:" + rig.proxy.port())
        .withCaCertFile(caFile.toString()).withUserAgent(userAgent).withHttp2Disable(true)
        .withRequestRetryBackoffLimit(0).withNamespace("default");
    if (withCertificate) {
      config.withClientCertFile(clientCert.toString()).withClientKeyFile(clientKey.toString()).withClientKeyAlgo(keyAlgorithm);
    }
    return new KubernetesClientBuilder().withConfig(config.build()).withHttpClientFactory(new JdkHttpClientFactory())
        .build();
  }

  private static boolean listed(ObjectCache cache, String client) {
    return cache.list(ListScope.of(client, "/v1/pods", ObjectCache.ALL_NAMESPACES)) instanceof ListResult.Found;
  }

  @Test
  void givenHttpsWithClientCa_whenClientsListPods_thenTheCertificateCnOrUserAgentNamesThemAndTheAllowlistApplies() {
    int pods;
    try (KubernetesClient kubelet = client("kubelet/1.32", true);
         KubernetesClient kubeProxy = client("kube-proxy/1.32", false);
         KubernetesClient other = client("calico-node/3.28", false)) {
      pods = kubelet.pods().inAnyNamespace().list().getItems().size();
      assertThat(kubeProxy.pods().inAnyNamespace().list().getItems()).hasSize(pods);
      assertThat(other.pods().inAnyNamespace().list().getItems()).hasSize(pods);
    }

    await().atMost(Duration.ofSeconds(10)).until(() -> listed(rig.cache, NODE_CN) && listed(rig.cache, "kube-proxy"));
    assertThat(listed(rig.cache, "kubelet")).as("the certificate, not the user agent, names the kubelet").isFalse();
    assertThat(listed(rig.cache, "calico-node")).as("not in the allowlist").isFalse();
    assertThat(rig.proxy.metricsText()).contains("outpost_node_proxy_cache_entries{client=\"" + NODE_CN + "\"} "
        + pods);

    rig.link.cut();
    await().atMost(Duration.ofSeconds(10)).until(() -> !rig.proxy.health().isHealthy());
    try (KubernetesClient kubelet = client("kubelet/1.32", true);
         KubernetesClient other = client("calico-node/3.28", false)) {
      assertThat(kubelet.pods().inAnyNamespace().list().getItems()).hasSize(pods);
      assertThatThrownBy(() -> other.pods().inAnyNamespace().list())
          .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
            assertThat(e.getCode()).isEqualTo(503);
            assertThat(e.getMessage()).contains("client calico-node is not cached")
                .contains("allowlist holds kube-proxy," + NODE_CN);
          });
    }
  }
}
