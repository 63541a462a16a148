package io.outpost.nodeproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.outpost.cache.objects.CacheBudget;
import io.outpost.cache.objects.DurableObjectCache;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.Serializer;

/**
 * Hostile and broken inputs to {@code outpost agent node-proxy} as a process: a cache file from a
 * future format version, a data directory even root cannot write, a disk budget far too small.
 * Each gives a clear message; with upstream healthy the proxy keeps forwarding; it never serves
 * garbage or a partial list.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class NodeProxyBadInputTest extends NodeProxyProcessFixture {

  private static List<String> names(List<? extends HasMetadata> objects) {
    return objects.stream().map(o -> o.getMetadata().getNamespace() + "/" + o.getMetadata().getName()).sorted()
        .toList();
  }

  private void cutAndAwaitOutage(NodeProxyProcess through) {
    link.cut();
    await("the proxy notices the outage").atMost(Duration.ofSeconds(15)).ignoreExceptions()
        .until(() -> NodeProxyProcess.sample(through.metrics(), "outpost_node_proxy_upstream_healthy") == 0);
  }

  @Test
  void givenCacheFileFromAFutureFormatVersion_whenProxyStarts_thenItIsMovedAsideWithAWarningAndForwardingWorks()
      throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    Path file = data.resolve("objects.db");
    try (DurableObjectCache cache = DurableObjectCache.open(file, CacheBudget.defaults())) {
      cache.replaceList("kubelet", "/v1/pods", "", "1", List.of(
          "{\"metadata\":{\"name\":\"from-the-future\",\"namespace\":\"default\"}}".getBytes(StandardCharsets.UTF_8)));
    }
    DB db = DBMaker.fileDB(file.toFile()).transactionEnable().fileChannelEnable().make();
    try {
      db.treeMap("outpost.meta", Serializer.STRING, Serializer.STRING).open().put("format", "2");
      db.commit();
    } finally {
      db.close();
    }

    proxy = NodeProxyProcess.start(kubeconfig, data, dir.resolve("logs"));

    assertThat(proxy.output()).contains("WARN").contains(file.toString()).contains("in an unsupported format")
        .contains("format 2").contains("moved it aside");
    try (Stream<Path> files = Files.list(data)) {
      assertThat(files.map(p -> p.getFileName().toString())).anyMatch(n -> n.startsWith("objects.db.unsupported-"));
    }
    try (KubernetesClient kubelet = kubelet(proxy)) {
      assertThat(names(kubelet.pods().inAnyNamespace().list().getItems())).isNotEmpty()
          .noneMatch(n -> n.contains("from-the-future"));
    }
  }

  /**
   * We run as root, so permission bits do not stop us; the immutable attribute does (ext4/xfs,
   * {@code chattr +i}): even root cannot create a file in such a directory.
   */
  @Test
  void givenDataDirNobodyCanWrite_whenProxyStarts_thenItSaysSoForwardsAndAnswersOffline503WithoutACache()
      throws Exception {
    Path data = Files.createDirectories(dir.resolve("immutable-data"));
    Assumptions.assumeTrue(chattr("+i", data), "chattr +i is not available on this file system; cannot make a"
        + " directory unwritable for root");
    try {
      Assumptions.assumeFalse(canCreateFileIn(data), "root can still write into an immutable directory here");

      proxy = NodeProxyProcess.start(kubeconfig, data, dir.resolve("logs"));

      assertThat(proxy.output()).contains("ERROR").contains(data.toString()).contains("--data-dir")
          .contains("Running WITHOUT a cache");
      List<String> upstreamPods = names(sandbox.client().pods().inAnyNamespace().list().getItems());
      try (KubernetesClient kubelet = kubelet(proxy)) {
        assertThat(names(kubelet.pods().inAnyNamespace().list().getItems())).isEqualTo(upstreamPods);
      }
      cutAndAwaitOutage(proxy);
      try (KubernetesClient kubelet = kubelet(proxy)) {
        assertThatThrownBy(() -> kubelet.pods().inAnyNamespace().list())
            .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
              assertThat(e.getCode()).isEqualTo(503);
              assertThat(e.getMessage()).contains("runs without a cache").contains(data.toString());
            });
      }
    } finally {
      chattr("-i", data);
    }
  }

  private static boolean chattr(String flag, Path path) throws InterruptedException {
    try {
      Process p = new ProcessBuilder("chattr", flag, path.toString()).redirectErrorStream(true).start();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean canCreateFileIn(Path dir) {
    try {
      Files.delete(Files.createFile(dir.resolve("probe")));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void givenA16KiBudget_whenKubeletListsManyResources_thenEvictionsAreCountedAndOfflineAnswersAreExactOr503()
      throws Exception {
    proxy = NodeProxyProcess.start(kubeconfig, dir.resolve("data"), dir.resolve("logs"),
        "--cache-max-bytes", "16Ki", "--cache-client-quota", "16Ki");
    KubernetesClient admin = sandbox.client();
    Map<String, Function<KubernetesClient, List<? extends HasMetadata>>> lists = new LinkedHashMap<>();
    lists.put("pods", c -> c.pods().inAnyNamespace().list().getItems());
    lists.put("replicasets", c -> c.apps().replicaSets().inAnyNamespace().list().getItems());
    lists.put("deployments", c -> c.apps().deployments().inAnyNamespace().list().getItems());
    lists.put("configmaps", c -> c.configMaps().inAnyNamespace().list().getItems());
    lists.put("services", c -> c.services().inAnyNamespace().list().getItems());
    lists.put("nodes", c -> c.nodes().list().getItems().stream().map(n -> (HasMetadata) n).toList());
    try (KubernetesClient kubelet = kubelet(proxy)) {
      for (var list : lists.values()) {
        list.apply(kubelet);
      }
    }
    NodeProxyProcess running = proxy;
    await("the small budget forces evictions or rejections").atMost(Duration.ofSeconds(10)).until(() -> {
      String metrics = running.metrics();
      return NodeProxyProcess.sample(metrics, "outpost_node_proxy_cache_writes_queued") == 0
          && NodeProxyProcess.sample(metrics, "outpost_node_proxy_cache_evictions_total{client=\"kubelet\"}")
          + NodeProxyProcess.sample(metrics, "outpost_node_proxy_cache_rejected_writes_total{client=\"kubelet\"}") > 0;
    });
    String metrics = proxy.metrics();
    assertThat(NodeProxyProcess.sample(metrics, "outpost_node_proxy_cache_bytes{client=\"kubelet\"}"))
        .isLessThanOrEqualTo(16 * 1024);
    assertThat(proxy.output()).contains("Object cache evicted").containsAnyOf("least recently used", "over the quota");

    cutAndAwaitOutage(proxy);

    int served = 0;
    try (KubernetesClient kubelet = kubelet(proxy)) {
      for (var list : lists.entrySet()) {
        List<String> upstream = names(list.getValue().apply(admin));
        try {
          assertThat(names(list.getValue().apply(kubelet))).as(list.getKey()).isEqualTo(upstream);
          served++;
        } catch (KubernetesClientException e) {
          assertThat(e.getCode()).as(list.getKey()).isEqualTo(503);
          assertThat(e.getMessage()).as(list.getKey()).contains("holds no list").contains("not answering an empty");
        }
      }
    }
    assertThat(served).as("the most recent lists that fit are still served").isPositive();
  }
}
