package io.outpost.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.outpost.demo.Fleet;
import io.outpost.e2e.support.HubClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kubernetes API gateway with three member clusters (idc, cloud, edge), each reached through
 * its own agent's tunnel, exercised with the fabric8 client as an application would.
 */
class GatewayTest {

  static final List<Fleet.Member> MEMBERS = List.of(
      Fleet.Member.of("idc-1", "idc", Map.of("region", "cn-north")),
      // A real apiserver speaks HTTPS: this member's agent reads its sandbox over TLS.
      Fleet.Member.of("cloud-1", "cloud", Map.of("region", "eu-central")).withHttpsApiserver(),
      Fleet.Member.of("edge-1", "edge", Map.of("region", "cn-east")));

  @TempDir static Path dir;
  static Fleet fleet;
  static HubClient http;

  @BeforeAll
  static void startFleet() throws InterruptedException {
    fleet = Fleet.start(dir, MEMBERS, hub -> hub.heartbeatInterval(Duration.ofMillis(500))
        .property("max-request-body-bytes", 64 * 1024), agent -> agent.property("summary-interval", "300ms"));
    for (Fleet.Member m : MEMBERS) {
      assertThat(fleet.agent(m.name()).awaitConnected(Duration.ofSeconds(20))).as(m.name()).isTrue();
    }
    http = new HubClient(fleet);
  }

  @AfterAll
  static void stopFleet() {
    fleet.close();
  }

  @Test
  void everyMembersPodsAreListedThroughTheHub() {
    for (Fleet.Member m : MEMBERS) {
      try (KubernetesClient viaHub = fleet.clientThroughHub(m.name())) {
        List<String> throughHub = names(viaHub.pods().inAnyNamespace().list().getItems());
        List<String> direct = names(fleet.sandbox(m.name()).client().pods().inAnyNamespace().list().getItems());
        assertThat(throughHub).as(m.name()).isNotEmpty().containsExactlyInAnyOrderElementsOf(direct);
      }
    }
  }

  @Test
  void aConfigMapIsCreatedReadUpdatedAndDeletedThroughTheHub() {
    KubernetesClient member = fleet.sandbox("cloud-1").client();
    try (KubernetesClient viaHub = fleet.clientThroughHub("cloud-1")) {
      viaHub.configMaps().inNamespace("default").resource(new ConfigMapBuilder()
          .withNewMetadata().withName("crud").endMetadata().addToData("k", "v1").build()).create();
      assertThat(member.configMaps().inNamespace("default").withName("crud").get().getData()).containsEntry("k", "v1");

      ConfigMap read = viaHub.configMaps().inNamespace("default").withName("crud").get();
      read.getData().put("k", "v2");
      viaHub.configMaps().inNamespace("default").resource(read).update();
      assertThat(member.configMaps().inNamespace("default").withName("crud").get().getData()).containsEntry("k", "v2");

      viaHub.configMaps().inNamespace("default").withName("crud").delete();
      await().atMost(Duration.ofSeconds(5)).until(() ->
          member.configMaps().inNamespace("default").withName("crud").get() == null);
    }
  }

  @Test
  void aWatchThroughTheHubSeesAPodCreatedDirectlyOnTheMember() {
    List<String> seen = new CopyOnWriteArrayList<>();
    try (KubernetesClient viaHub = fleet.clientThroughHub("edge-1");
         Watch ignored = viaHub.pods().inNamespace("shop").watch(new Watcher<>() {
           @Override
           public void eventReceived(Action action, Pod pod) {
             seen.add(action + " " + pod.getMetadata().getName());
           }

           @Override
           public void onClose(WatcherException cause) {}
         })) {
      fleet.sandbox("edge-1").client().pods().inNamespace("shop").resource(new PodBuilder()
          .withNewMetadata().withName("watched-pod").endMetadata()
          .withNewSpec().withNodeName("edge-1-node-1").addNewContainer().withName("c").withImage("busybox").endContainer()
          .endSpec().build()).create();
      await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains("ADDED watched-pod"));
    }
  }

  @Test
  void aChunkedListIsPagedThroughTheHub() {
    KubernetesClient member = fleet.sandbox("idc-1").client();
    for (int i = 0; i < 25; i++) {
      member.configMaps().inNamespace("shop").resource(new ConfigMapBuilder()
          .withNewMetadata().withName("page-" + i).endMetadata().addToData("i", "" + i).build()).create();
    }
    try (KubernetesClient viaHub = fleet.clientThroughHub("idc-1")) {
      assertThat(viaHub.configMaps().inNamespace("shop").list().getItems())
          .extracting(c -> c.getMetadata().getName()).contains("page-0", "page-24");
    }
  }

  @Test
  void theRegistryShowsEachClustersKindLabelsVersionAndCounts() {
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      String body = http.get("/api/v1/clusters/edge-1").body();
      assertThat(body).contains("\"kind\":\"edge\"", "\"region\":\"cn-east\"", "\"status\":\"Ready\"",
          "\"kubernetesVersion\":\"v1.32.4", "\"nodeCount\":3", "\"podCount\":");
    });
  }

  @Test
  void clustersAreRelabelledAndTokensCreatedListedAndRevokedThroughTheRestApi() {
    HttpResponse<String> relabelled = http.send(http.request("/api/v1/clusters/idc-1/labels")
        .header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString("{\"region\":\"cn-north\",\"tier\":\"gold\"}")).build());
    assertThat(relabelled.statusCode()).isEqualTo(200);
    assertThat(fleet.hub().registry().get("idc-1").orElseThrow().labels()).containsEntry("tier", "gold");

    HttpResponse<String> created = http.send(http.request("/api/v1/tokens").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"ttl\":\"2h\",\"description\":\"rest\"}")).build());
    assertThat(created.statusCode()).isEqualTo(201);
    assertThat(created.body()).contains("\"token\":\"", "\"joinCommand\":\"outpost agent join --hub localhost:");
    String id = created.body().replaceAll(".*\"id\":\"([a-z0-9]{6})\".*", "$1");
    String secret = created.body().replaceAll(".*\"token\":\"[a-z0-9]{6}\\.([a-z0-9]{16})\".*", "$1");
    String listed = http.get("/api/v1/tokens").body();
    assertThat(listed).contains("\"id\":\"" + id + "\"").doesNotContain(secret);

    assertThat(http.send(http.request("/api/v1/tokens/" + id).DELETE().build()).statusCode()).isEqualTo(204);
    assertThat(http.get("/api/v1/tokens").body()).doesNotContain("\"id\":\"" + id + "\"");
    HttpResponse<String> badTtl = http.send(http.request("/api/v1/tokens").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"ttl\":\"soon\"}")).build());
    assertThat(badTtl.statusCode()).isEqualTo(400);
    assertThat(badTtl.body()).contains("ttl \\\"soon\\\" is not valid");
  }

  @Test
  void anUnknownClusterAnswers404StatusNamingIt() {
    HttpResponse<String> answer = http.get("/clusters/ghost/k8s/api/v1/pods");
    assertThat(answer.statusCode()).isEqualTo(404);
    assertThat(answer.body()).contains("\"kind\":\"Status\"", "\"reason\":\"NotFound\"",
        "cluster \\\"ghost\\\" is not registered at this hub");
  }

  @Test
  void aRequestWithoutOrWithAWrongBearerTokenAnswers401() {
    HttpResponse<String> none = http.send(HttpRequest.newBuilder(java.net.URI.create(
        fleet.hub().url() + "/clusters/edge-1/k8s/api/v1/pods")).GET().build());
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.body()).contains("\"reason\":\"Unauthorized\"", "no bearer token");

    HttpResponse<String> wrong = http.send(http.request("/clusters/edge-1/k8s/api/v1/pods")
        .setHeader("Authorization", "Bearer op_admin_notthetoken").GET().build());
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(wrong.body()).contains("the bearer token is not valid at this hub");

    KubernetesClientException fromClient = org.junit.jupiter.api.Assertions.assertThrows(
        KubernetesClientException.class, () -> {
          try (KubernetesClient noToken = new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(
              new io.fabric8.kubernetes.client.ConfigBuilder(fleet.clientThroughHub("edge-1").getConfiguration())
                  .withOauthToken("op_admin_wrong").build()).build()) {
            noToken.pods().inAnyNamespace().list();
          }
        });
    assertThat(fromClient.getCode()).isEqualTo(401);
  }

  @Test
  void aPathThatTriesToLeaveTheApiserverIsRefused() {
    for (String path : List.of("/clusters/edge-1/k8s/api/%2e%2e/%2e%2e/etc/passwd",
        "/clusters/edge-1/k8s/http://169.254.169.254/latest/meta-data")) {
      HttpResponse<String> answer = http.get(path);
      assertThat(answer.statusCode()).as(path).isEqualTo(400);
      assertThat(answer.body()).as(path).contains("is refused", "only paths below the member cluster's apiserver");
    }
  }

  @Test
  void anOversizedRequestBodyAnswers413NamingTheLimit() {
    String big = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"big\"},\"data\":{\"x\":\""
        + "x".repeat(100 * 1024) + "\"}}";
    HttpResponse<String> answer = http.send(http.request("/clusters/edge-1/k8s/api/v1/namespaces/default/configmaps")
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(big)).build());
    assertThat(answer.statusCode()).isEqualTo(413);
    assertThat(answer.body()).contains("exceeds the gateway's limit of 65536 bytes");
    assertThat(fleet.sandbox("edge-1").client().configMaps().inNamespace("default").withName("big").get()).isNull();
  }

  @Test
  void theKubeconfigEndpointHasOneContextPerCluster() {
    String kubeconfig = http.get("/api/v1/kubeconfig").body();
    for (Fleet.Member m : MEMBERS) {
      assertThat(kubeconfig).contains("- name: " + m.name(), "/clusters/" + m.name() + "/k8s");
    }
    assertThat(kubeconfig).contains("token: " + fleet.adminToken(), "certificate-authority-data: ");
  }

  @Test
  void healthAndPrometheusMetricsAreServed() {
    assertThat(http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(fleet.hub().url() + "/health"))
        .GET().build()).statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(http.send(HttpRequest.newBuilder(
        java.net.URI.create(fleet.hub().url() + "/prometheus")).GET().build()).body())
        .contains("outpost_tunnels_connected 3.0", "outpost_exchanges_started_total"));
  }

  private static List<String> names(List<? extends io.fabric8.kubernetes.api.model.HasMetadata> items) {
    return items.stream().map(i -> i.getMetadata().getNamespace() + "/" + i.getMetadata().getName()).toList();
  }
}
