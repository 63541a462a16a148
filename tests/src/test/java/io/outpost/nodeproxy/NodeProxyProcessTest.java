package io.outpost.nodeproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.outpost.cache.objects.CacheBudget;
import io.outpost.cache.objects.DurableObjectCache;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code outpost agent node-proxy} as a process of its own, its upstream reached through a relay
 * the test can cut: killed with SIGKILL while offline and started again it still answers from its
 * cache file; a truncated cache file is moved aside and the proxy forwards; a data directory that
 * is a regular file is reported and the proxy fails open: it forwards without a cache.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NodeProxyProcessTest extends NodeProxyProcessFixture {

  private static final String NODE = "edge-1-node-1";

  private static List<String> podsOnNodeUpstream() {
    return sandbox.client().pods().inAnyNamespace().list().getItems().stream()
        .filter(p -> NODE.equals(p.getSpec().getNodeName())).map(p -> p.getMetadata().getName()).sorted().toList();
  }

  private static List<String> podsOnNodeThrough(NodeProxyProcess through) {
    try (KubernetesClient kubelet = kubelet(through)) {
      List<Pod> pods = kubelet.pods().inAnyNamespace().withField("spec.nodeName", NODE).list().getItems();
      assertThat(pods).allSatisfy(p -> assertThat(p.getSpec().getNodeName()).isEqualTo(NODE));
      return pods.stream().map(p -> p.getMetadata().getName()).sorted().toList();
    }
  }

  @Test
  void givenCacheFilledOnline_whenProxyIsKilledHardWhileOfflineAndRestarted_thenAFreshKubeletStillListsItsNodesPods()
      throws Exception {
    Path data = dir.resolve("data");
    proxy = NodeProxyProcess.start(kubeconfig, data, dir);
    try (KubernetesClient kubelet = kubelet(proxy)) {
      assertThat(kubelet.pods().inAnyNamespace().list().getItems()).isNotEmpty();
    }
    List<String> expected = podsOnNodeUpstream();
    assertThat(expected).isNotEmpty();
    link.cut();
    NodeProxyProcess offline = proxy;
    await("the proxy answers the node's pods from its cache").atMost(Duration.ofSeconds(10)).ignoreExceptions()
        .until(() -> podsOnNodeThrough(offline).equals(expected));

    proxy.killHard();
    proxy = NodeProxyProcess.start(kubeconfig, data, dir);

    assertThat(podsOnNodeThrough(proxy)).as(proxy::output).isEqualTo(expected);
  }

  @Test
  void givenTruncatedCacheFile_whenProxyStarts_thenItWarnsStartsEmptyAndKeepsForwarding() throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    Path file = data.resolve("objects.db");
    try (DurableObjectCache cache = DurableObjectCache.open(file, CacheBudget.defaults())) {
      cache.replaceList("kubelet", "/v1/pods", "", "1", List.of(
          "{\"metadata\":{\"name\":\"stale\",\"namespace\":\"default\"}}".getBytes(StandardCharsets.UTF_8)));
    }
    long size = Files.size(file);
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.setLength(size / 3);
    }

    proxy = NodeProxyProcess.start(kubeconfig, data, dir);

    assertThat(proxy.output()).contains("WARN").contains("moved it aside");
    try (KubernetesClient kubelet = kubelet(proxy)) {
      List<String> names = kubelet.pods().inAnyNamespace().list().getItems().stream()
          .map(p -> p.getMetadata().getName()).toList();
      assertThat(names).isNotEmpty().doesNotContain("stale");
    }
    try (Stream<Path> files = Files.list(data)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .anyMatch(name -> name.startsWith("objects.db.") && !name.endsWith(".lock"));
    }
  }

  @Test
  void givenDataDirThatIsARegularFile_whenProxyStarts_thenItSaysSoAndFailsOpenForwardingWithoutACache()
      throws Exception {
    Path notADir = Files.writeString(dir.resolve("data-is-a-file"), "not a directory");

    proxy = NodeProxyProcess.start(kubeconfig, notADir, dir.resolve("logs"));

    assertThat(proxy.output()).contains("ERROR").contains(notADir.toString()).contains("not a directory")
        .contains("--data-dir").contains("Running WITHOUT a cache");
    try (KubernetesClient kubelet = kubelet(proxy)) {
      assertThat(kubelet.pods().inAnyNamespace().list().getItems()).isNotEmpty();
    }
  }
}
