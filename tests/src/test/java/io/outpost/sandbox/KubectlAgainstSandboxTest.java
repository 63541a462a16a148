package io.outpost.sandbox;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.outpost.testing.Kubectl;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real kubectl against a sandbox: what the demo and the end-to-end tests rely on. Skipped when
 * kubectl is not installed.
 */
class KubectlAgainstSandboxTest {

  private static final Duration KUBECTL_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration STREAM_TIMEOUT = Duration.ofSeconds(10);

  private static SandboxCluster sandbox;
  private static Kubectl kubectl;

  @BeforeAll
  static void startSandbox(@TempDir Path dir) throws Exception {
    Assumptions.assumeTrue(Kubectl.installed(), "kubectl not found at /usr/bin/kubectl: install it to run this test");
    sandbox = SandboxCluster.start(SandboxSpec.builder("kube").build());
    Path kubeconfig = sandbox.writeKubeconfig(dir.resolve("kube.kubeconfig"), "kube-sandbox");
    kubectl = new Kubectl(kubeconfig, Files.createDirectories(dir.resolve("cache")));
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

  @Test
  void givenSeededSandbox_whenGetPodsInAllNamespaces_thenEverySeededPodIsListed() {
    Kubectl.Result result = kubectl.run(KUBECTL_TIMEOUT,
        "get", "pods", "-A", "--no-headers", "-o", "custom-columns=NAME:.metadata.name");

    assertEquals(0, result.exitCode(), result::toString);
    List<String> listed = result.output().lines().map(String::trim).toList();
    // Seeded pods belong to a ReplicaSet; other tests in this class add loose pods.
    List<String> seeded = client().pods().inAnyNamespace().withLabel("pod-template-hash").list().getItems().stream()
        .map(pod -> pod.getMetadata().getName()).toList();
    assertEquals(12, seeded.size());
    assertTrue(listed.containsAll(seeded), () -> "kubectl listed " + listed + " but the sandbox has " + seeded);
  }

  @Test
  void givenSeededSandbox_whenGetNodes_thenTheThreeNodesAreListed() {
    Kubectl.Result result = kubectl.run(KUBECTL_TIMEOUT, "get", "nodes");

    assertEquals(0, result.exitCode(), result::toString);
    assertTrue(result.output().contains("kube-node-1"), result::toString);
    assertTrue(result.output().contains("kube-node-2"), result::toString);
    assertTrue(result.output().contains("kube-node-3"), result::toString);
  }

  @Test
  void givenShortResourceNames_whenKubectlResolvesThem_thenDiscoveryServesThem() {
    Kubectl.Result result = kubectl.run(KUBECTL_TIMEOUT, "get", "deploy,rs,svc,cm,ns", "-A");

    assertEquals(0, result.exitCode(), result::toString);
    assertTrue(result.output().contains("deployment.apps/storefront"), result::toString);
    assertTrue(result.output().contains("namespace/shop"), result::toString);
  }

  @Test
  void givenNewManifests_whenApplied_thenTheObjectsAreCreatedAndVisibleThroughFabric8(@TempDir Path dir)
      throws Exception {
    Path manifest = Files.writeString(dir.resolve("objects.yaml"), String.join("\n",
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata:",
        "  name: applied-settings",
        "  namespace: shop",
        "data:",
        "  mode: demo",
        "---",
        "apiVersion: v1",
        "kind: Pod",
        "metadata:",
        "  name: applied-pod",
        "  namespace: shop",
        "spec:",
        "  containers:",
        "  - name: main",
        "    image: busybox:1.36",
        ""));

    Kubectl.Result result = kubectl.run(KUBECTL_TIMEOUT, "apply", "-f", manifest.toString());

    assertEquals(0, result.exitCode(), result::toString);
    assertTrue(result.output().contains("configmap/applied-settings created"), result::toString);
    assertTrue(result.output().contains("pod/applied-pod created"), result::toString);
    assertEquals("demo", client().configMaps().inNamespace("shop").withName("applied-settings").get()
        .getData().get("mode"));
    assertNotNull(client().pods().inNamespace("shop").withName("applied-pod").get());

    Kubectl.Result again = kubectl.run(KUBECTL_TIMEOUT, "apply", "-f", manifest.toString());
    assertEquals(0, again.exitCode(), again::toString);
    assertTrue(again.output().contains("pod/applied-pod unchanged"), again::toString);
  }

  @Test
  void givenSeededPod_whenKubectlLogs_thenTheStartupLinesNameThePod() {
    Pod pod = client().pods().inNamespace("shop").list().getItems().get(0);
    String name = pod.getMetadata().getName();

    Kubectl.Result result = kubectl.run(KUBECTL_TIMEOUT, "logs", "-n", "shop", name);

    assertEquals(0, result.exitCode(), result::toString);
    // Merged output: exactly three lines, each one of the pod's log lines (so nothing else was printed).
    List<String> lines = result.output().lines().toList();
    assertEquals(3, lines.size(), result::toString);
    assertTrue(lines.stream().allMatch(line -> line.startsWith(name + ": ")), result::toString);
    assertTrue(lines.get(0).contains("in pod shop/" + name + " on node " + pod.getSpec().getNodeName()),
        result::toString);
  }

  @Test
  void givenUnknownPod_whenKubectlLogs_thenItReportsNotFound() {
    Kubectl.Result result = kubectl.run(KUBECTL_TIMEOUT, "logs", "-n", "shop", "no-such-pod");

    assertEquals(1, result.exitCode(), result::toString);
    // kubectl's error report (on stderr), carrying the apiserver's NotFound status: not log content.
    assertTrue(result.output().contains("error from server (NotFound): pods \"no-such-pod\" not found"),
        result::toString);
  }

  @Test
  void givenSeededPod_whenKubectlLogsFollow_thenLinesKeepArriving() {
    String name = client().pods().inNamespace("kube-system").list().getItems().get(0).getMetadata().getName();

    try (Kubectl.Running logs = kubectl.start("logs", "-f", "-n", "kube-system", name)) {
      logs.awaitLine(line -> line.endsWith("heartbeat 3"), STREAM_TIMEOUT, "the third heartbeat of " + name);
    }
  }

  @Test
  void givenKubectlWatchingPods_whenAPodIsCreatedThroughFabric8_thenKubectlPrintsIt() {
    List<String> seeded = client().pods().inNamespace("default").list().getItems().stream()
        .map(pod -> pod.getMetadata().getName()).toList();

    try (Kubectl.Running watch = kubectl.start("get", "pods", "-n", "default", "-w", "--no-headers")) {
      // The initial list comes first; the watch that follows starts from its resourceVersion.
      // A row of every seeded pod: lines from stderr in the merged output must not count.
      watch.awaitLines(line -> seeded.stream().anyMatch(name -> line.startsWith(name + " ")), seeded.size(),
          STREAM_TIMEOUT, "the initial list of " + seeded);

      client().pods().inNamespace("default").resource(new PodBuilder()
          .withNewMetadata().withName("late-arrival").endMetadata()
          .withNewSpec().addNewContainer().withName("main").withImage("busybox:1.36").endContainer().endSpec()
          .build()).create();

      watch.awaitLine(line -> line.startsWith("late-arrival"), STREAM_TIMEOUT,
          "the pod created after the watch started");
      // Pods already listed are not replayed by the watch, which a plain fabric8 mock would do.
      for (String name : seeded) {
        assertEquals(1, watch.lines().stream().filter(line -> line.startsWith(name + " ")).count(), watch::output);
      }
    }
  }
}
