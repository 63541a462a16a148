package io.outpost.nodeproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.outpost.agent.nodeproxy.NodeProxy;
import io.outpost.agent.nodeproxy.NodeProxySettings;
import io.outpost.agent.nodeproxy.UpstreamHealth;
import io.outpost.cache.objects.CacheBudget;
import io.outpost.cache.objects.DurableObjectCache;
import io.outpost.cache.objects.ObjectCache;
import io.outpost.sandbox.SandboxCluster;
import io.outpost.sandbox.SandboxSpec;
import io.outpost.testing.FaultyLink;
import io.outpost.testing.Kubectl;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real kubectl talking plain HTTP to the node proxy ({@code server: http://127.0.0.1:PORT}, no
 * credentials: the proxy forwards with its own), online and with the link cut. Skipped when kubectl
 * is not installed.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NodeProxyKubectlTest {

  private static final String NODE = "edge-1-node-1";
  private static final Duration KUBECTL_TIMEOUT = Duration.ofSeconds(20);
  private static final String NAME_AND_NODE = "custom-columns=NAME:.metadata.name,NODE:.spec.nodeName";

  @TempDir
  Path dir;

  private SandboxCluster sandbox;
  private FaultyLink link;
  private KubernetesClient upstream;
  private ObjectCache cache;
  private NodeProxy proxy;
  private Path kubeconfig;

  @BeforeEach
  void start() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(Kubectl.BINARY),
        "kubectl not found at /usr/bin/kubectl: install it to run this test");
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
    kubeconfig = Files.writeString(dir.resolve("node.kubeconfig"), String.join("\n",
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: node-proxy",
        "  cluster:",
        "    server: http://127.0.0.1:" + proxy.port(),
        "contexts:",
        "- name: node-proxy",
        "  context:",
        "    cluster: node-proxy",
        "    user: node",
        "users:",
        "- name: node",
        "  user: {}",
        "current-context: node-proxy",
        ""));
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

  private Kubectl kubectl(String cacheDir) throws Exception {
    return new Kubectl(kubeconfig, Files.createDirectories(dir.resolve(cacheDir)));
  }

  private void cutLinkAndAwaitOutage() {
    link.cut();
    await().atMost(Duration.ofSeconds(10)).until(() -> !proxy.health().isHealthy());
  }

  private List<String> podsUpstream(boolean onNodeOnly) {
    return sandbox.client().pods().inAnyNamespace().list().getItems().stream()
        .filter(p -> !onNodeOnly || NODE.equals(p.getSpec().getNodeName()))
        .map(p -> p.getMetadata().getName()).sorted().toList();
  }

  private static List<String> names(Kubectl.Result result) {
    return result.output().lines().map(String::trim).filter(l -> !l.isEmpty())
        .map(l -> l.split("\\s+")[0]).sorted().toList();
  }

  @Test
  void givenHealthyUpstream_whenKubectlGetsPodsThroughTheProxy_thenEveryPodIsListed() throws Exception {
    Kubectl kubectl = kubectl("cache");

    Kubectl.Result result = kubectl.run(KUBECTL_TIMEOUT, "get", "pods", "-A", "--no-headers", "-o", NAME_AND_NODE);

    assertThat(result.ok()).as(result::toString).isTrue();
    assertThat(names(result)).as(result::toString).isEqualTo(podsUpstream(false));
  }

  @Test
  void givenKubectlUsedOnlineOnce_whenLinkIsCut_thenAFieldSelectorFirstAskedOfflineListsOnlyTheNodesPods()
      throws Exception {
    Kubectl kubectl = kubectl("cache");
    Kubectl.Result online = kubectl.run(KUBECTL_TIMEOUT, "get", "pods", "-A", "--no-headers", "-o", NAME_AND_NODE);
    assertThat(online.ok()).as(online::toString).isTrue();
    cutLinkAndAwaitOutage();

    Kubectl.Result all = kubectl.run(KUBECTL_TIMEOUT, "get", "pods", "-A", "--no-headers", "-o", NAME_AND_NODE);
    Kubectl.Result mine = kubectl.run(KUBECTL_TIMEOUT, "get", "pods", "-A", "--field-selector",
        "spec.nodeName=" + NODE, "--no-headers", "-o", NAME_AND_NODE);

    assertThat(all.ok()).as(all::toString).isTrue();
    assertThat(names(all)).as(all::toString).isEqualTo(podsUpstream(false));
    assertThat(mine.ok()).as(mine::toString).isTrue();
    assertThat(names(mine)).as(mine::toString).isNotEmpty().isEqualTo(podsUpstream(true));
    assertThat(mine.output().lines()).allSatisfy(line -> assertThat(line).contains(NODE));
  }

  @Test
  void givenKubectlNeverRanOnline_whenLinkIsCut_thenItsFirstFieldSelectorListIsAnsweredIncludingDiscovery()
      throws Exception {
    Kubectl other = kubectl("other-cache");
    Kubectl.Result online = other.run(KUBECTL_TIMEOUT, "get", "pods", "-A", "--no-headers", "-o", NAME_AND_NODE);
    assertThat(online.ok()).as(online::toString).isTrue();
    cutLinkAndAwaitOutage();
    Kubectl fresh = kubectl("fresh-cache");

    Kubectl.Result mine = fresh.run(KUBECTL_TIMEOUT, "get", "pods", "-A", "--field-selector",
        "spec.nodeName=" + NODE, "--no-headers", "-o", NAME_AND_NODE);

    assertThat(mine.ok()).as(mine::toString).isTrue();
    assertThat(names(mine)).as(mine::toString).isEqualTo(podsUpstream(true));
  }
}
