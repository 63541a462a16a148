package io.outpost.nodeproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.outpost.cache.objects.ListResult;
import io.outpost.cache.objects.ListScope;
import io.outpost.cache.objects.ObjectCache;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node proxy in front of a sandbox cluster, the link between them running through a relay the
 * test can cut: forwarding and recording while online, answers from the MapDB cache while offline,
 * forwarding again once the link is back.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NodeProxyOutageTest {

  private static final String NODE = "edge-1-node-1";
  private static final String KUBELET = "kubelet/1.32";

  @TempDir
  Path dir;

  private final HttpClient raw = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

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
    return rig.client(KUBELET, "default");
  }


  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + rig.proxy.port() + path))
        .header("User-Agent", KUBELET).timeout(Duration.ofSeconds(10));
    request.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    return raw.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private void cacheAllPodsAndGoOffline(KubernetesClient kubelet) {
    kubelet.pods().inAnyNamespace().list();
    kubelet.pods().inNamespace("default").withName(firstPodOnNode().getMetadata().getName()).get();
    rig.link.cut();
    await().atMost(Duration.ofSeconds(10)).until(() -> !rig.proxy.health().isHealthy());
  }

  private Pod firstPodOnNode() {
    return rig.sandbox.client().pods().inNamespace("default").list().getItems().stream()
        .filter(p -> NODE.equals(p.getSpec().getNodeName())).findFirst().orElseThrow();
  }

  @Test
  void givenHealthyUpstream_whenKubeletListsPods_thenTheAnswerIsForwardedAndRecordedForKubelet() {
    try (KubernetesClient kubelet = kubelet()) {
      List<Pod> pods = kubelet.pods().inAnyNamespace().list().getItems();

      assertThat(pods).hasSize(rig.sandbox.client().pods().inAnyNamespace().list().getItems().size()).isNotEmpty();
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(rig.cache.list(ListScope.of("kubelet", "/v1/pods", ObjectCache.ALL_NAMESPACES)))
              .isInstanceOfSatisfying(ListResult.Found.class, found -> assertThat(found.items()).hasSize(pods.size())));
    }
  }

  @Test
  void givenCachedFullList_whenLinkIsCut_thenAFreshKubeletListsItsNodesPodsAndGetsAPodFromCache() {
    try (KubernetesClient online = kubelet()) {
      cacheAllPodsAndGoOffline(online);
    }
    try (KubernetesClient fresh = kubelet()) {
      List<Pod> mine = fresh.pods().inAnyNamespace().withField("spec.nodeName", NODE).list().getItems();

      assertThat(mine).isNotEmpty().allSatisfy(p -> assertThat(p.getSpec().getNodeName()).isEqualTo(NODE));
      assertThat(mine).allSatisfy(p -> assertThat(p.getKind()).isEqualTo("Pod"));
      Pod one = fresh.pods().inNamespace("default").withName(firstPodOnNode().getMetadata().getName()).get();
      assertThat(one).isNotNull();
    }
  }

  @Test
  void givenOutage_whenTheCachedListIsReadRaw_thenItIsAPodListWhoseItemsEachCarryKindAndApiVersion() throws Exception {
    try (KubernetesClient online = kubelet()) {
      cacheAllPodsAndGoOffline(online);
    }
    HttpResponse<String> answer = send("GET", "/api/v1/pods?fieldSelector=spec.nodeName%3D" + NODE, null);

    assertThat(answer.statusCode()).isEqualTo(200);
    JsonNode list = new ObjectMapper().readTree(answer.body());
    assertThat(list.path("kind").asText()).isEqualTo("PodList");
    assertThat(list.path("apiVersion").asText()).isEqualTo("v1");
    assertThat(list.path("metadata").path("resourceVersion").asText()).isNotEmpty();
    assertThat(list.path("items")).isNotEmpty().allSatisfy(item -> {
      assertThat(item.path("kind").asText()).isEqualTo("Pod");
      assertThat(item.path("apiVersion").asText()).isEqualTo("v1");
      assertThat(item.path("spec").path("nodeName").asText()).isEqualTo(NODE);
    });
  }

  @Test
  void givenAListThatWasEmptyOnline_whenReadOffline_thenItIsAnsweredEmptyBecauseItWasRecordedSo() throws Exception {
    try (KubernetesClient online = kubelet()) {
      assertThat(online.pods().inNamespace("quiet").list().getItems()).isEmpty();
      await().atMost(Duration.ofSeconds(10)).until(() ->
          rig.cache.list(ListScope.of("kubelet", "/v1/pods", "quiet")) instanceof ListResult.Found);
      cacheAllPodsAndGoOffline(online);
    }
    HttpResponse<String> answer = send("GET", "/api/v1/namespaces/quiet/pods", null);

    assertThat(answer.statusCode()).isEqualTo(200);
    JsonNode list = new ObjectMapper().readTree(answer.body());
    assertThat(list.path("kind").asText()).isEqualTo("PodList");
    assertThat(list.path("items").isArray()).isTrue();
    assertThat(list.path("items")).isEmpty();
  }

  @Test
  void givenOutage_whenListNeverSeenOrWriteIsSent_thenBoth503AndWriteCarriesRetryAfter() throws Exception {
    try (KubernetesClient online = kubelet()) {
      cacheAllPodsAndGoOffline(online);
    }
    HttpResponse<String> neverListed = send("GET", "/api/v1/namespaces/shop/configmaps", null);
    HttpResponse<String> write = send("POST", "/api/v1/namespaces/default/configmaps",
        "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\"}}");

    assertThat(neverListed.statusCode()).isEqualTo(503);
    assertThat(neverListed.body()).contains("\"kind\":\"Status\"").doesNotContain("\"items\"");
    assertThat(write.statusCode()).isEqualTo(503);
    assertThat(write.headers().firstValue("Retry-After")).isPresent();
    assertThat(write.body()).contains("unreachable");
    try (KubernetesClient fresh = kubelet()) {
      assertThatThrownBy(() -> fresh.configMaps().inNamespace("shop").list())
          .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(503));
    }
  }

  @Test
  void givenOutage_whenAResourceTypeTheProxyNeverSawIsListed_thenA503StatusNamesTheResourceAndNoListIsInvented()
      throws Exception {
    try (KubernetesClient online = kubelet()) {
      cacheAllPodsAndGoOffline(online);
    }

    HttpResponse<String> daemonSets = send("GET", "/apis/apps/v1/namespaces/kube-system/daemonsets?labelSelector=k8s-app%3Dcalico", null);

    assertThat(daemonSets.statusCode()).isEqualTo(503);
    assertThat(daemonSets.headers().firstValue("Retry-After")).isPresent();
    assertThat(daemonSets.body()).contains("\"kind\":\"Status\"").contains("\"reason\":\"ServiceUnavailable\"")
        .contains("the API server is unreachable from this node and the cache holds no list of apps/v1/daemonsets"
            + " in namespace kube-system with labelSelector k8s-app=calico for client kubelet;"
            + " not answering an empty list")
        .doesNotContain("\"items\"");
  }

  @Test
  void givenOutage_whenKubeletGetsAnObjectItNeverSaw_thenA503StatusNamesItAndNoObjectIsInvented() throws Exception {
    try (KubernetesClient online = kubelet()) {
      cacheAllPodsAndGoOffline(online);
    }

    HttpResponse<String> unknown = send("GET", "/api/v1/namespaces/default/pods/never-seen", null);

    assertThat(unknown.statusCode()).isEqualTo(503);
    assertThat(unknown.headers().firstValue("Retry-After")).isPresent();
    assertThat(unknown.body()).contains("\"kind\":\"Status\"").contains("never-seen")
        .doesNotContain("\"kind\":\"Pod\"");
    try (KubernetesClient fresh = kubelet()) {
      assertThatThrownBy(() -> fresh.pods().inNamespace("default").withName("never-seen").get())
          .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(503));
    }
  }

  @Test
  void givenOutage_whenKubeletRenewsItsLease_thenItIsAcknowledgedWith200() throws Exception {
    try (KubernetesClient online = kubelet()) {
      cacheAllPodsAndGoOffline(online);
    }
    String lease = "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{\"name\":\"" + NODE
        + "\",\"namespace\":\"kube-node-lease\",\"resourceVersion\":\"7\"},\"spec\":{\"holderIdentity\":\"" + NODE
        + "\"}}";

    HttpResponse<String> renewed = send("PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/"
        + NODE, lease);

    assertThat(renewed.statusCode()).isEqualTo(200);
    assertThat(renewed.body()).contains("\"holderIdentity\":\"" + NODE + "\"");
  }

  @Test
  void givenOutage_whenKubeletWatches_thenWatchIsHeldOpenAndEndsWith410ExpiredOnceLinkIsBackAndForwardingResumes()
      throws Exception {
    try (KubernetesClient online = kubelet()) {
      cacheAllPodsAndGoOffline(online);
    }
    HttpRequest watchRequest = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + rig.proxy.port()
            + "/api/v1/pods?watch=true&allowWatchBookmarks=true"))
        .header("User-Agent", KUBELET).build();
    HttpResponse<InputStream> watch = raw.send(watchRequest, HttpResponse.BodyHandlers.ofInputStream());
    assertThat(watch.statusCode()).isEqualTo(200);
    BufferedReader events = new BufferedReader(new InputStreamReader(watch.body(), StandardCharsets.UTF_8));
    assertThat(events.readLine()).contains("\"type\":\"BOOKMARK\"");
    CompletableFuture<String> next = CompletableFuture.supplyAsync(() -> {
      try {
        return String.valueOf(events.readLine());
      } catch (java.io.IOException e) {
        return "closed: " + e;
      }
    });
    await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> !next.isDone());

    rig.link.restore();

    await().atMost(Duration.ofSeconds(10)).until(() -> rig.proxy.health().isHealthy());
    assertThat(next.get(10, TimeUnit.SECONDS)).contains("\"type\":\"ERROR\"").contains("\"code\":410")
        .contains("\"reason\":\"Expired\"");
    assertThat(events.readLine()).isNull();
    HttpResponse<String> forwarded = send("GET", "/api/v1/namespaces/shop/configmaps", null);
    assertThat(forwarded.statusCode()).isEqualTo(200);
    assertThat(forwarded.body()).contains("\"items\"").doesNotContain("\"kind\":\"Status\"");
  }
}
