package io.outpost.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sandbox through fabric8 and plain HTTP: seeding, CRUD, watches, discovery, logs, lifecycle. */
class SandboxClusterTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static SandboxCluster sandbox;
  private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void startSandbox() {
    sandbox = SandboxCluster.start(SandboxSpec.builder("edge-1")
        .labels(Map.of("topology.kubernetes.io/region", "eu-west", "outpost.io/site", "depot-7"))
        .build());
  }

  @AfterAll
  static void stopSandbox() {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  private static KubernetesClient client() {
    return sandbox.client();
  }

  private static HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(sandbox.url() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void givenDefaultSpec_whenStarted_thenThreeReadyNodesCarryKubeletVersionAndRegion() {
    List<Node> nodes = client().nodes().list().getItems();

    assertEquals(List.of("edge-1-node-1", "edge-1-node-2", "edge-1-node-3"),
        nodes.stream().map(n -> n.getMetadata().getName()).sorted().toList());
    for (Node node : nodes) {
      assertEquals("v1.32.4", node.getStatus().getNodeInfo().getKubeletVersion());
      assertEquals("eu-west", node.getMetadata().getLabels().get("topology.kubernetes.io/region"));
      assertEquals(node.getMetadata().getName(), node.getMetadata().getLabels().get("kubernetes.io/hostname"));
      NodeCondition ready = node.getStatus().getConditions().stream()
          .filter(c -> c.getType().equals("Ready")).findFirst().orElseThrow();
      assertEquals("True", ready.getStatus());
    }
  }

  @Test
  void givenDefaultSpec_whenStarted_thenFourRunningPodsPerNodeOwnedByDeployments() {
    List<Pod> pods = client().pods().inAnyNamespace().list().getItems().stream()
        .filter(p -> p.getMetadata().getLabels() != null && p.getMetadata().getLabels().containsKey("pod-template-hash"))
        .toList();

    Map<String, Long> perNode = pods.stream()
        .collect(Collectors.groupingBy(p -> p.getSpec().getNodeName(), Collectors.counting()));
    assertEquals(Map.of("edge-1-node-1", 4L, "edge-1-node-2", 4L, "edge-1-node-3", 4L), perNode);
    assertTrue(pods.stream().allMatch(p -> "Running".equals(p.getStatus().getPhase())));
    assertTrue(pods.stream().allMatch(p -> p.getMetadata().getLabels().containsKey("app")));
    assertTrue(pods.stream().allMatch(p -> p.getMetadata().getOwnerReferences().get(0).getKind().equals("ReplicaSet")));
    assertEquals(Map.of("default", 3L, "kube-system", 3L, "shop", 6L), pods.stream()
        .collect(Collectors.groupingBy(p -> p.getMetadata().getNamespace(), Collectors.counting())));
    assertEquals(3, client().apps().deployments().inNamespace("shop").withName("storefront").get()
        .getStatus().getReadyReplicas());
    assertEquals("edge-1", client().configMaps().inNamespace("kube-system").withName("outpost-sandbox-info").get()
        .getData().get("cluster"));
    assertEquals(4, client().services().inAnyNamespace().list().getItems().size());
    assertEquals(List.of("default", "kube-system", "shop"), client().namespaces().list().getItems().stream()
        .map(ns -> ns.getMetadata().getName()).sorted().toList());
  }

  @Test
  void givenSpecWithoutNodes_whenStarted_thenNoPodsButDeploymentsExist() {
    try (SandboxCluster empty = SandboxCluster.start(SandboxSpec.builder("empty").nodes(0).build())) {
      assertTrue(empty.client().pods().inAnyNamespace().list().getItems().isEmpty());
      assertEquals(0, empty.client().apps().deployments().inNamespace("shop").withName("cart").get()
          .getSpec().getReplicas());
    }
  }

  @Test
  void givenSelectors_whenListingPods_thenLabelsAndMetadataFieldsFilterButSpecNodeNameIsNotSupportedByTheMock() {
    Pod any = client().pods().inNamespace("shop").list().getItems().get(0);

    assertEquals(3, client().pods().inAnyNamespace().withLabel("app", "cart").list().getItems().size());
    assertEquals(List.of(any.getMetadata().getName()), client().pods().inAnyNamespace()
        .withField("metadata.name", any.getMetadata().getName()).list().getItems().stream()
        .map(p -> p.getMetadata().getName()).toList());
    // Known limitation of the fabric8 CRUD mock: it indexes only metadata.name and metadata.namespace,
    // so other field selectors match nothing (a real apiserver would return the node's 4 pods).
    assertEquals(List.of(), client().pods().inAnyNamespace()
        .withField("spec.nodeName", "edge-1-node-1").list().getItems());
  }

  @Test
  void givenConfigMap_whenCreatedUpdatedPatchedAndDeleted_thenEachStepIsVisible() {
    var configMaps = client().configMaps().inNamespace("shop");
    ConfigMap created = configMaps.resource(new ConfigMapBuilder()
        .withNewMetadata().withName("feature-flags").endMetadata()
        .withData(Map.of("checkout", "off"))
        .build()).create();

    created.setData(Map.of("checkout", "on"));
    ConfigMap updated = configMaps.resource(created).update();
    assertEquals("on", configMaps.withName("feature-flags").get().getData().get("checkout"));
    assertTrue(Long.parseLong(updated.getMetadata().getResourceVersion())
        > Long.parseLong(created.getMetadata().getResourceVersion()));

    configMaps.withName("feature-flags").patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"data\":{\"banner\":\"sale\"}}");
    assertEquals(Map.of("checkout", "on", "banner", "sale"), configMaps.withName("feature-flags").get().getData());

    configMaps.withName("feature-flags").delete();
    await().atMost(Duration.ofSeconds(5)).until(() -> configMaps.withName("feature-flags").get() == null);
  }

  @Test
  void givenStaleResourceVersion_whenUpdating_thenConflict() {
    var configMaps = client().configMaps().inNamespace("default");
    ConfigMap original = configMaps.resource(new ConfigMapBuilder()
        .withNewMetadata().withName("contended").endMetadata().withData(Map.of("v", "1")).build()).create();
    configMaps.resource(new ConfigMapBuilder(original).withData(Map.of("v", "2")).build()).update();

    KubernetesClientException conflict = assertThrows(KubernetesClientException.class,
        () -> configMaps.resource(new ConfigMapBuilder(original).withData(Map.of("v", "3")).build()).update());
    assertEquals(409, conflict.getCode());
  }

  @Test
  void givenStrategicMergePatch_whenSent_thenRejectedWithAClearMessage() {
    KubernetesClientException rejected = assertThrows(KubernetesClientException.class,
        () -> client().configMaps().inNamespace("kube-system").withName("outpost-sandbox-info")
            .patch(PatchContext.of(PatchType.STRATEGIC_MERGE), "{\"data\":{\"x\":\"y\"}}"));

    assertEquals(415, rejected.getCode());
    assertTrue(rejected.getMessage().contains("JSON merge patch"), rejected::getMessage);
  }

  @Test
  void givenWatchOnNamespace_whenAPodIsCreated_thenTheWatcherSeesItAdded() {
    List<String> events = new CopyOnWriteArrayList<>();
    try (Watch ignored = client().pods().inNamespace("shop").watch(new Recorder<>(events))) {
      client().pods().inNamespace("shop").resource(pod("watched-pod")).create();

      await().atMost(Duration.ofSeconds(10)).until(() -> events.contains("ADDED watched-pod"));
    }
  }

  @Test
  void givenKubeconfig_whenFabric8LoadsIt_thenItListsNodesAndWatchesOverItsDefaultTransport(@TempDir Path dir)
      throws IOException {
    Path file = sandbox.writeKubeconfig(dir.resolve("nested/edge-1.kubeconfig"), "edge-1-ctx");
    Config config = Config.fromKubeconfig(Files.readString(file));
    assertEquals("edge-1-ctx", config.getCurrentContext().getName());

    List<String> events = new CopyOnWriteArrayList<>();
    // This client tries a WebSocket watch first, as the edge agent's would, and must fall back to HTTP.
    try (KubernetesClient fromFile = new KubernetesClientBuilder().withConfig(config)
        .withHttpClientFactory(new JdkHttpClientFactory()).build();
        Watch ignored = fromFile.configMaps().inNamespace("default").watch(new Recorder<>(events))) {
      assertEquals(3, fromFile.nodes().list().getItems().size());
      client().configMaps().inNamespace("default").resource(new ConfigMapBuilder()
          .withNewMetadata().withName("seen-through-kubeconfig").endMetadata().build()).create();

      await().atMost(Duration.ofSeconds(10)).until(() -> events.contains("ADDED seen-through-kubeconfig"));
    }
  }

  @Test
  void givenHttpsSpec_whenStarted_thenItServesTlsThatItsKubeconfigTrustsAndStrangersDoNot(@TempDir Path dir)
      throws IOException {
    try (SandboxCluster secure = SandboxCluster.start(SandboxSpec.builder("secure").nodes(1).https(true).build())) {
      assertTrue(secure.url().startsWith("https://127.0.0.1:"), secure.url());
      assertTrue(secure.caCertificate().isPresent());

      Path file = secure.writeKubeconfig(dir.resolve("secure.kubeconfig"), "secure");
      try (KubernetesClient fromFile = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(Files.readString(file)))
          .withHttpClientFactory(new JdkHttpClientFactory()).build()) {
        assertEquals(1, fromFile.nodes().list().getItems().size());
      }
      // A client with only the JDK's public CAs must refuse the sandbox's own CA.
      IOException refused = assertThrows(IOException.class, () -> http.send(
          HttpRequest.newBuilder(URI.create(secure.url() + "/version")).build(), HttpResponse.BodyHandlers.ofString()));
      assertTrue(String.valueOf(refused.getMessage()).contains("PKIX"), String.valueOf(refused.getMessage()));
    }
  }

  @Test
  void givenDiscoveryRequests_whenServed_thenTheyDescribeAKubernetes132Apiserver() throws Exception {
    JsonNode version = JSON.readTree(get("/version").body());
    assertEquals("1", version.get("major").asText());
    assertEquals("32", version.get("minor").asText());
    assertTrue(version.get("gitVersion").asText().startsWith("v1.32.4"));

    JsonNode core = JSON.readTree(get("/api/v1").body());
    assertEquals("APIResourceList", core.get("kind").asText());
    Map<String, JsonNode> byName = new HashMap<>();
    core.get("resources").forEach(resource -> byName.put(resource.get("name").asText(), resource));
    assertTrue(byName.keySet().containsAll(List.of("pods", "pods/log", "nodes", "namespaces", "services",
        "configmaps", "secrets", "events", "endpoints")), byName::toString);
    assertEquals("po", byName.get("pods").get("shortNames").get(0).asText());
    assertTrue(byName.get("pods").get("namespaced").asBoolean());
    assertEquals(false, byName.get("nodes").get("namespaced").asBoolean());

    String groups = get("/apis").body();
    for (String groupVersion : List.of("apps/v1", "coordination.k8s.io/v1", "discovery.k8s.io/v1")) {
      assertTrue(groups.contains("\"" + groupVersion + "\""), groups);
    }
    assertTrue(get("/apis/apps/v1").body().contains("\"statefulsets\""));
    assertEquals(404, get("/apis/example.com/v1").statusCode());
  }

  @Test
  void givenSeededPod_whenReadingItsLog_thenPlainTextLinesNameThePod() throws Exception {
    Pod pod = client().pods().inNamespace("default").list().getItems().get(0);
    String name = pod.getMetadata().getName();

    String viaFabric8 = client().pods().inNamespace("default").withName(name).getLog();
    HttpResponse<String> tail = get("/api/v1/namespaces/default/pods/" + name + "/log?tailLines=1");

    assertEquals(3, viaFabric8.lines().count(), viaFabric8);
    assertTrue(viaFabric8.contains("in pod default/" + name + " on node " + pod.getSpec().getNodeName()), viaFabric8);
    assertEquals(name + ": ready to serve requests\n", tail.body());
  }

  @Test
  void givenFollow_whenReadingALog_thenALineArrivesEveryFewHundredMilliseconds() {
    String name = client().pods().inNamespace("shop").list().getItems().get(0).getMetadata().getName();
    HttpRequest request = HttpRequest.newBuilder(
        URI.create(sandbox.url() + "/api/v1/namespaces/shop/pods/" + name + "/log?follow=true")).build();

    List<String> lines = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
      try (Stream<String> body = http.send(request, HttpResponse.BodyHandlers.ofLines()).body()) {
        return body.limit(5).toList();
      }
    });

    assertEquals(name + ": heartbeat 2", lines.get(4));
  }

  @Test
  void givenUnknownPod_whenReadingItsLog_thenNotFoundStatus() throws Exception {
    HttpResponse<String> response = get("/api/v1/namespaces/shop/pods/ghost/log");

    assertEquals(404, response.statusCode());
    JsonNode status = JSON.readTree(response.body());
    assertEquals("Status", status.get("kind").asText());
    assertEquals("NotFound", status.get("reason").asText());
    assertEquals("pods \"ghost\" not found", status.get("message").asText());
  }

  @Test
  void givenMissingObject_whenFetched_thenNotFoundStatusLikeTheApiserver() throws Exception {
    HttpResponse<String> response = get("/api/v1/namespaces/shop/configmaps/absent");

    assertEquals(404, response.statusCode());
    assertTrue(response.body().contains("configmaps \\\"absent\\\" not found"), response.body());
    assertNull(client().configMaps().inNamespace("shop").withName("absent").get());
  }

  @Test
  void givenBusyPort_whenStartingASecondSandboxOnIt_thenItFailsNamingThePort() {
    int busy = sandbox.port();

    IllegalStateException failure = assertThrows(IllegalStateException.class,
        () -> SandboxCluster.start(SandboxSpec.builder("clash").port(busy).build()));

    assertTrue(failure.getMessage().contains("127.0.0.1:" + busy), failure::getMessage);
  }

  @Test
  void givenInvalidName_whenBuildingASpec_thenRejected() {
    IllegalArgumentException failure = assertThrows(IllegalArgumentException.class,
        () -> SandboxSpec.builder("Edge_1").build());

    assertTrue(failure.getMessage().contains("Edge_1"), failure::getMessage);
  }

  @Test
  void givenRunningSandbox_whenClosed_thenItStopsAnsweringAndCloseIsIdempotent() {
    SandboxCluster shortLived = SandboxCluster.start(SandboxSpec.builder("short").nodes(1).podsPerNode(1).build());
    String health = shortLived.url() + "/healthz";

    shortLived.close();
    shortLived.close();

    assertThrows(IOException.class, () -> http.send(HttpRequest.newBuilder(URI.create(health)).build(),
        HttpResponse.BodyHandlers.ofString()));
  }

  private static Pod pod(String name) {
    return new PodBuilder()
        .withNewMetadata().withName(name).endMetadata()
        .withNewSpec().addNewContainer().withName("main").withImage("busybox:1.36").endContainer().endSpec()
        .build();
  }

  /** Records "ACTION name" for each watch event. */
  private record Recorder<T extends io.fabric8.kubernetes.api.model.HasMetadata>(List<String> events)
      implements Watcher<T> {
    @Override
    public void eventReceived(Action action, T resource) {
      events.add(action + " " + resource.getMetadata().getName());
    }

    @Override
    public void onClose(WatcherException cause) {
      // the test closes the watch
    }
  }
}
