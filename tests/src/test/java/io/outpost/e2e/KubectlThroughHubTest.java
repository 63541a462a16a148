package io.outpost.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.outpost.demo.Fleet;
import io.outpost.e2e.support.HubClient;
import io.outpost.testing.Kubectl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The platform team's promise: plain kubectl, with the kubeconfig the hub hands out, reaches every
 * member cluster through the hub's gateway — lists, watches, apply, delete and logs, streaming
 * where kubectl streams. Each scenario runs the real /usr/bin/kubectl with a bounded wait.
 */
class KubectlThroughHubTest {

  private static final Duration KUBECTL_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration STREAM_TIMEOUT = Duration.ofSeconds(15);
  private static final List<String> MEMBERS = List.of("idc-1", "cloud-1", "edge-1");
  /** Deleted by one scenario; no other scenario touches it. */
  private static final String DOOMED = "edge-doomed";

  @TempDir static Path dir;

  private static Fleet fleet;
  private static Kubectl kubectl;

  @BeforeAll
  static void startFleet() throws Exception {
    Assumptions.assumeTrue(Kubectl.installed(),
        "kubectl not found at /usr/bin/kubectl: install kubectl to run the kubectl scenarios");
    fleet = Fleet.start(dir.resolve("fleet"), List.of(
            Fleet.Member.of("idc-1", "idc", Map.of("region", "cn-bj")),
            Fleet.Member.of("cloud-1", "cloud", Map.of("region", "us-west")),
            Fleet.Member.of("edge-1", "edge", Map.of("region", "cn-sh")),
            Fleet.Member.of(DOOMED, "edge", Map.of("region", "cn-gz"))),
        hub -> hub.heartbeatInterval(Duration.ofMillis(500)), agent -> agent);
    for (Fleet.Member member : fleet.members()) {
      assertTrue(fleet.agent(member.name()).awaitConnected(Duration.ofSeconds(15)),
          "agent of " + member.name() + " connected");
    }
    Path kubeconfig = fleet.writeKubeconfig(dir.resolve("kubeconfig"));
    Path cache = Files.createDirectories(dir.resolve("kube-cache"));
    kubectl = new Kubectl(kubeconfig, cache);
  }

  @AfterAll
  static void stopFleet() {
    if (fleet != null) {
      fleet.close();
    }
  }

  @Test
  void givenTheHubsKubeconfig_whenGetPodsInEveryContext_thenEachListsItsOwnMembersSeededPods() {
    for (String member : MEMBERS) {
      Kubectl.Result result = kubectl.run(KUBECTL_TIMEOUT, "--context", member, "get", "pods", "-A");

      assertTrue(result.ok(), result::toString);
      Set<String> expected = fleet.sandbox(member).client().pods().inAnyNamespace().list().getItems().stream()
          .map(p -> p.getMetadata().getNamespace() + "/" + p.getMetadata().getName())
          .collect(Collectors.toCollection(TreeSet::new));
      assertFalse(expected.isEmpty(), "seeded pods of " + member);
      assertEquals(expected, namespacedNames(result.output()),
          () -> "pods kubectl lists in context " + member + "\n" + result);
    }
  }

  @Test
  void givenAWatchingKubectl_whenAPodIsCreatedInTheMember_thenTheWatchPrintsIt() {
    KubernetesClient sandbox = fleet.sandbox("edge-1").client();
    String seeded = sandbox.pods().inNamespace("default").list().getItems().get(0).getMetadata().getName();
    try (Kubectl.Running watch = kubectl.start("--context", "edge-1", "get", "pods", "-w", "-n", "default")) {
      watch.awaitLine(line -> line.startsWith(seeded + " "), STREAM_TIMEOUT, "the initial list with " + seeded);
      // The list is printed; the watch request follows it through the tunnel.
      Awaitility.await("kubectl's watch in flight at the hub").atMost(STREAM_TIMEOUT)
          .until(() -> fleet.hub().tunnel().session("edge-1").orElseThrow().exchangesInFlight() >= 1);

      sandbox.resource(pod("default", "watched-newcomer")).create();

      watch.awaitLine(line -> line.startsWith("watched-newcomer "), STREAM_TIMEOUT,
          "the pod created after the watch started");
      assertTrue(watch.isAlive(), "kubectl get -w keeps watching");
    }
  }

  @Test
  void givenAManifestWithANewConfigMapAndPod_whenApplied_thenBothExistInTheMember() throws Exception {
    Path manifest = Files.writeString(dir.resolve("applied.yaml"), """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: applied-config
          namespace: default
        data:
          greeting: hello through the hub
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: applied-pod
          namespace: default
          labels:
            app: applied
        spec:
          containers:
          - name: main
            image: registry.example/app:1.0
        """);

    Kubectl.Result result = kubectl.run(KUBECTL_TIMEOUT, "--context", "idc-1", "apply", "-f", manifest.toString());

    assertTrue(result.ok(), result::toString);
    assertTrue(result.output().contains("configmap/applied-config created"), result::toString);
    assertTrue(result.output().contains("pod/applied-pod created"), result::toString);
    KubernetesClient sandbox = fleet.sandbox("idc-1").client();
    ConfigMap configMap = sandbox.configMaps().inNamespace("default").withName("applied-config").get();
    assertNotNull(configMap, "the applied ConfigMap in idc-1's apiserver");
    assertEquals("hello through the hub", configMap.getData().get("greeting"));
    Pod pod = sandbox.pods().inNamespace("default").withName("applied-pod").get();
    assertNotNull(pod, "the applied Pod in idc-1's apiserver");
    assertEquals("applied", pod.getMetadata().getLabels().get("app"));
    assertNull(fleet.sandbox("cloud-1").client().configMaps().inNamespace("default").withName("applied-config").get(),
        "the apply went to idc-1 only");
  }

  @Test
  void givenAConfigMapInTheMember_whenKubectlDeletesIt_thenItIsGoneFromTheMember() {
    KubernetesClient sandbox = fleet.sandbox("cloud-1").client();
    sandbox.resource(new ConfigMapBuilder()
        .withNewMetadata().withName("doomed-config").withNamespace("default").endMetadata()
        .withData(Map.of("k", "v")).build()).create();

    Kubectl.Result result = kubectl.run(KUBECTL_TIMEOUT,
        "--context", "cloud-1", "delete", "configmap", "doomed-config", "-n", "default");

    assertTrue(result.ok(), result::toString);
    assertTrue(result.output().contains("configmap \"doomed-config\" deleted"), result::toString);
    assertNull(sandbox.configMaps().inNamespace("default").withName("doomed-config").get(),
        "doomed-config in cloud-1's apiserver");
  }

  @Test
  void givenAPod_whenKubectlLogs_thenItPrintsThePodsLogLines() {
    Pod pod = firstPod("cloud-1", "default");
    String name = pod.getMetadata().getName();

    Kubectl.Result result = kubectl.run(KUBECTL_TIMEOUT, "--context", "cloud-1", "logs", name, "-n", "default");

    assertTrue(result.ok(), result::toString);
    assertTrue(result.output().contains(name + ": starting container"), result::toString);
    assertTrue(result.output().contains(name + ": ready to serve requests"), result::toString);
  }

  @Test
  void givenAPod_whenKubectlLogsFollow_thenLinesKeepStreamingUntilInterrupted() {
    Pod pod = firstPod("edge-1", "default");
    String name = pod.getMetadata().getName();

    try (Kubectl.Running follow = kubectl.start("--context", "edge-1", "logs", "-f", name, "-n", "default")) {
      follow.awaitLines(line -> line.startsWith(name + ": "), 3, STREAM_TIMEOUT,
          "log lines of " + name);
      // Lines written after the request was answered: the follow streams, it is not one buffered body.
      follow.awaitLines(line -> line.startsWith(name + ": heartbeat"), 2, STREAM_TIMEOUT,
          "followed (heartbeat) lines of " + name);
      assertTrue(follow.isAlive(), "kubectl logs -f keeps following");
    }
    Awaitility.await("the hub releases the followed exchange after kubectl is gone")
        .atMost(STREAM_TIMEOUT)
        .until(() -> fleet.hub().tunnel().session("edge-1").orElseThrow().exchangesInFlight() == 0);
  }

  @Test
  void givenCachedDiscovery_whenTheClusterIsDeletedAtTheHub_thenKubectlSaysTheClusterIsNotRegistered(
      @TempDir Path cache) {
    Kubectl own = new Kubectl(dir.resolve("kubeconfig"), cache);
    Kubectl.Result before = own.run(KUBECTL_TIMEOUT, "--context", DOOMED, "get", "pods");
    assertTrue(before.ok(), () -> "before the delete: " + before);

    HubClient hub = new HubClient(fleet);
    var deleted = hub.send(hub.request("/api/v1/clusters/" + DOOMED).timeout(Duration.ofSeconds(10)).DELETE().build());
    assertTrue(deleted.statusCode() == 200 || deleted.statusCode() == 204,
        () -> "DELETE /api/v1/clusters/" + DOOMED + ": " + deleted.statusCode() + " " + deleted.body());

    Kubectl.Result after = own.run(KUBECTL_TIMEOUT, "--context", DOOMED, "get", "pods");

    assertFalse(after.ok(), () -> "after the delete: " + after);
    assertTrue(after.output().contains("cluster \"" + DOOMED + "\" is not registered"), after::toString);
  }

  // ---- helpers ----

  /** "namespace/name" of every row of a {@code get -A} table. */
  private static Set<String> namespacedNames(String table) {
    List<String> lines = table.lines().filter(l -> !l.isBlank()).toList();
    assertFalse(lines.isEmpty(), "kubectl printed nothing");
    List<String> header = Arrays.asList(lines.get(0).trim().split("\\s+"));
    int ns = header.indexOf("NAMESPACE");
    int name = header.indexOf("NAME");
    assertTrue(ns >= 0 && name >= 0, () -> "NAMESPACE and NAME columns in the header of\n" + table);
    return lines.stream().skip(1)
        .map(l -> l.trim().split("\\s+"))
        .map(cols -> cols[ns] + "/" + cols[name])
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private static Pod firstPod(String member, String namespace) {
    List<Pod> pods = fleet.sandbox(member).client().pods().inNamespace(namespace).list().getItems();
    assertFalse(pods.isEmpty(), "seeded pods in " + member + "/" + namespace);
    return pods.get(0);
  }

  private static Pod pod(String namespace, String name) {
    return new PodBuilder()
        .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
        .withNewSpec().addNewContainer().withName("main").withImage("registry.example/app:1.0").endContainer()
        .endSpec()
        .build();
  }
}
