package io.outpost.sandbox;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Fills a fresh sandbox with a small but believable cluster: namespaces, Ready nodes, Deployments
 * with their ReplicaSets and Running pods spread over the nodes, Services and ConfigMaps.
 *
 * <p>Everything is created through the public API, so it carries mock-assigned uids and
 * resourceVersions like objects created later by tests. Names are deterministic: the same spec
 * always yields the same objects.
 */
final class SandboxSeeder {

  static final String SANDBOX_LABEL = "outpost.io/sandbox";
  static final String REGION_LABEL = "topology.kubernetes.io/region";
  static final String ZONE_LABEL = "topology.kubernetes.io/zone";

  private static final int NODE_NETWORK = 0x0A000000;    // 10.0.0.0/16
  private static final int POD_NETWORK = 0x0AF40000;     // 10.244.0.0/16
  private static final int SERVICE_NETWORK = 0x0A600000; // 10.96.0.0/16

  /** One workload: a Deployment and the pods it "runs". */
  private record App(String namespace, String name, String image, int port) {
  }

  private final SandboxSpec spec;
  private final KubernetesClient client;
  private final Set<String> podNames = new HashSet<>();
  private int podCount;

  SandboxSeeder(SandboxSpec spec, KubernetesClient client) {
    this.spec = spec;
    this.client = client;
  }

  void seed() {
    spec.namespaces().forEach(this::createNamespace);
    List<Node> nodes = new ArrayList<>();
    for (int i = 1; i <= spec.nodes(); i++) {
      nodes.add(create(node(i)));
    }
    List<App> apps = apps();
    Map<App, List<Integer>> podNodes = placePods(apps);
    int appIndex = 0;
    for (App app : apps) {
      createWorkload(app, ++appIndex, podNodes.get(app), nodes);
    }
    createConfigMaps(apps);
  }

  private void createNamespace(String namespace) {
    create(new NamespaceBuilder()
        .withNewMetadata()
        .withName(namespace)
        .addToLabels("kubernetes.io/metadata.name", namespace)
        .endMetadata()
        .withNewStatus().withPhase("Active").endStatus()
        .build());
  }

  private Node node(int index) {
    String name = nodeName(index);
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("kubernetes.io/hostname", name);
    labels.put("kubernetes.io/os", "linux");
    labels.put("kubernetes.io/arch", "amd64");
    // The first node plays the control plane, like a small k3s or kubeadm edge cluster.
    labels.put(index == 1 ? "node-role.kubernetes.io/control-plane" : "node-role.kubernetes.io/worker", "");
    labels.put(SANDBOX_LABEL, spec.name());
    copyLabel(REGION_LABEL, labels);
    copyLabel(ZONE_LABEL, labels);
    Map<String, Quantity> capacity = Map.of(
        "cpu", new Quantity("4"), "memory", new Quantity("8Gi"), "pods", new Quantity("110"),
        "ephemeral-storage", new Quantity("50Gi"));
    String now = Instant.now().toString();
    return new NodeBuilder()
        .withNewMetadata().withName(name).withLabels(labels).endMetadata()
        .withNewStatus()
        .addNewCondition().withType("Ready").withStatus("True").withReason("KubeletReady")
        .withMessage("kubelet is posting ready status").withLastHeartbeatTime(now).withLastTransitionTime(now)
        .endCondition()
        .addNewCondition().withType("MemoryPressure").withStatus("False").withReason("KubeletHasSufficientMemory")
        .withLastHeartbeatTime(now).withLastTransitionTime(now).endCondition()
        .addNewCondition().withType("DiskPressure").withStatus("False").withReason("KubeletHasNoDiskPressure")
        .withLastHeartbeatTime(now).withLastTransitionTime(now).endCondition()
        .addNewAddress().withType("InternalIP").withAddress(nodeIp(index)).endAddress()
        .addNewAddress().withType("Hostname").withAddress(name).endAddress()
        .withCapacity(capacity)
        .withAllocatable(capacity)
        .withNewNodeInfo()
        .withKubeletVersion(Discovery.KUBERNETES_VERSION)
        .withKubeProxyVersion(Discovery.KUBERNETES_VERSION)
        .withContainerRuntimeVersion("containerd://1.7.27")
        .withOsImage("Outpost Sandbox Linux")
        .withKernelVersion("6.1.0-outpost")
        .withOperatingSystem("linux")
        .withArchitecture("amd64")
        .withMachineID(String.format("%032x", index))
        .withSystemUUID(String.format("00000000-0000-0000-0000-%012x", index))
        .withBootID(String.format("00000000-0000-0000-0000-%012x", index))
        .endNodeInfo()
        .endStatus()
        .build();
  }

  private void copyLabel(String key, Map<String, String> labels) {
    String value = spec.labels().get(key);
    if (value != null) {
      labels.put(key, value);
    }
  }

  /** Well-known workloads for the default namespaces; any other namespace gets a generic "web". */
  private List<App> apps() {
    List<App> apps = new ArrayList<>();
    for (String namespace : spec.namespaces()) {
      switch (namespace) {
        case "kube-system" -> apps.add(new App(namespace, "coredns", "registry.k8s.io/coredns/coredns:v1.11.3", 53));
        case "default" -> apps.add(new App(namespace, "hello", "registry.k8s.io/e2e-test-images/agnhost:2.52", 8080));
        case "shop" -> {
          apps.add(new App(namespace, "storefront", "nginx:1.27", 80));
          apps.add(new App(namespace, "cart", "ghcr.io/outpost-demo/cart:1.4.2", 8080));
        }
        default -> apps.add(new App(namespace, "web", "nginx:1.27", 80));
      }
    }
    return apps;
  }

  /** Pod k goes to node k / podsPerNode + 1 and to app k mod apps: every node gets exactly podsPerNode pods. */
  private Map<App, List<Integer>> placePods(List<App> apps) {
    Map<App, List<Integer>> placement = new LinkedHashMap<>();
    apps.forEach(app -> placement.put(app, new ArrayList<>()));
    int total = spec.nodes() * spec.podsPerNode();
    for (int k = 0; k < total; k++) {
      placement.get(apps.get(k % apps.size())).add(k / spec.podsPerNode() + 1);
    }
    return placement;
  }

  private void createWorkload(App app, int appIndex, List<Integer> nodeIndexes, List<Node> nodes) {
    int replicas = nodeIndexes.size();
    String hash = templateHash(app);
    Map<String, String> selector = Map.of("app", app.name());
    Map<String, String> podLabels = Map.of("app", app.name(), "pod-template-hash", hash);

    HasMetadata deployment = create(new DeploymentBuilder()
        .withNewMetadata().withName(app.name()).withNamespace(app.namespace()).withLabels(selector).endMetadata()
        .withNewSpec()
        .withReplicas(replicas)
        .withNewSelector().withMatchLabels(selector).endSelector()
        .withNewTemplate()
        .withNewMetadata().withLabels(selector).endMetadata()
        .withNewSpec()
        .addNewContainer().withName(app.name()).withImage(app.image())
        .addNewPort().withContainerPort(app.port()).endPort().endContainer()
        .endSpec()
        .endTemplate()
        .endSpec()
        .withNewStatus()
        .withReplicas(replicas).withReadyReplicas(replicas).withAvailableReplicas(replicas)
        .withUpdatedReplicas(replicas).withObservedGeneration(1L)
        .endStatus()
        .build());

    ReplicaSet replicaSet = create(new ReplicaSetBuilder()
        .withNewMetadata().withName(app.name() + "-" + hash).withNamespace(app.namespace())
        .withLabels(podLabels).withOwnerReferences(ownedBy(deployment)).endMetadata()
        .withNewSpec()
        .withReplicas(replicas)
        .withNewSelector().withMatchLabels(podLabels).endSelector()
        .withNewTemplate()
        .withNewMetadata().withLabels(podLabels).endMetadata()
        .withNewSpec()
        .addNewContainer().withName(app.name()).withImage(app.image()).endContainer()
        .endSpec()
        .endTemplate()
        .endSpec()
        .withNewStatus()
        .withReplicas(replicas).withReadyReplicas(replicas).withAvailableReplicas(replicas)
        .withFullyLabeledReplicas(replicas).withObservedGeneration(1L)
        .endStatus()
        .build());

    for (int replica = 0; replica < replicas; replica++) {
      int nodeIndex = nodeIndexes.get(replica);
      createPod(app, replicaSet, podLabels, nodes.get(nodeIndex - 1), nodeIndex, replica);
    }

    create(new ServiceBuilder()
        .withNewMetadata().withName(app.name()).withNamespace(app.namespace()).withLabels(selector).endMetadata()
        .withNewSpec()
        .withType("ClusterIP")
        .withClusterIP(ipv4(SERVICE_NETWORK + 10 + appIndex))
        .withSelector(selector)
        .addNewPort().withName("main").withPort(app.port()).withNewTargetPort(app.port()).withProtocol(
            app.port() == 53 ? "UDP" : "TCP").endPort()
        .endSpec()
        .build());
  }

  private void createPod(App app, ReplicaSet owner, Map<String, String> labels, Node node, int nodeIndex,
      int replica) {
    String podName = uniquePodName(owner.getMetadata().getName(), app.name() + "/" + replica);
    String started = Instant.now().toString();
    create(new PodBuilder()
        .withNewMetadata()
        .withName(podName)
        .withNamespace(app.namespace())
        .withLabels(labels)
        .withOwnerReferences(ownedBy(owner))
        .endMetadata()
        .withNewSpec()
        .withNodeName(node.getMetadata().getName())
        .addNewContainer()
        .withName(app.name())
        .withImage(app.image())
        .addNewPort().withContainerPort(app.port()).endPort()
        .endContainer()
        .endSpec()
        .withNewStatus()
        .withPhase("Running")
        .withHostIP(nodeIp(nodeIndex))
        .withPodIP(ipv4(POD_NETWORK + 10 + podCount++))
        .withStartTime(started)
        .addNewCondition().withType("Ready").withStatus("True").withLastTransitionTime(started).endCondition()
        .addNewCondition().withType("PodScheduled").withStatus("True").withLastTransitionTime(started).endCondition()
        .addNewContainerStatus()
        .withName(app.name())
        .withImage(app.image())
        .withReady(true)
        .withStarted(true)
        .withRestartCount(0)
        .withNewState().withNewRunning().withStartedAt(started).endRunning().endState()
        .endContainerStatus()
        .endStatus()
        .build());
  }

  private void createConfigMaps(List<App> apps) {
    Map<String, String> info = new LinkedHashMap<>();
    info.put("cluster", spec.name());
    info.put("nodes", String.valueOf(spec.nodes()));
    spec.labels().forEach((key, value) -> info.put("label." + key, value));
    String systemNamespace = spec.namespaces().contains("kube-system") ? "kube-system" : spec.namespaces().get(0);
    create(new ConfigMapBuilder()
        .withNewMetadata().withName("outpost-sandbox-info").withNamespace(systemNamespace).endMetadata()
        .withData(info)
        .build());
    apps.stream()
        .filter(app -> !app.namespace().equals("kube-system"))
        .findFirst()
        .ifPresent(app -> create(new ConfigMapBuilder()
            .withNewMetadata().withName(app.name() + "-config").withNamespace(app.namespace())
            .withLabels(Map.of("app", app.name())).endMetadata()
            .withData(Map.of("LOG_LEVEL", "info", "GREETING", "hello from " + spec.name()))
            .build()));
  }

  private <T extends HasMetadata> T create(T object) {
    return client.resource(object).create();
  }

  private static OwnerReference ownedBy(HasMetadata owner) {
    return new OwnerReferenceBuilder()
        .withApiVersion(owner.getApiVersion())
        .withKind(owner.getKind())
        .withName(owner.getMetadata().getName())
        .withUid(owner.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }

  String nodeName(int index) {
    return spec.name() + "-node-" + index;
  }

  private static String nodeIp(int index) {
    return ipv4(NODE_NETWORK + 10 + index);
  }

  /** Addresses are counted up from a network base, so a scale test with thousands of pods stays valid. */
  private static String ipv4(int address) {
    return (address >>> 24) + "." + (address >>> 16 & 255) + "." + (address >>> 8 & 255) + "." + (address & 255);
  }

  /** ReplicaSet name plus a 5-character suffix, like the names the ReplicaSet controller generates. */
  private String uniquePodName(String prefix, String seed) {
    String name = prefix + "-" + suffix(seed);
    for (int salt = 1; !podNames.add(name); salt++) {
      name = prefix + "-" + suffix(seed + "#" + salt);
    }
    return name;
  }

  /** Stand-in for the pod-template-hash: stable per app, 10 characters like the real one. */
  private static String templateHash(App app) {
    return encode(app.namespace() + "/" + app.name(), 10);
  }

  private static String suffix(String seed) {
    return encode(seed, 5);
  }

  /** Lower-case consonants and digits, like the names Kubernetes generates; deterministic per seed. */
  private static String encode(String seed, int length) {
    String alphabet = "bcdfghjklmnpqrstvwxz2456789";
    // SplitMix64 finaliser: similar seeds ("cart/1", "cart/2") must give unrelated names.
    long z = seed.hashCode() + 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z = z ^ (z >>> 31);
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < length; i++) {
      out.append(alphabet.charAt((int) Long.remainderUnsigned(z, alphabet.length())));
      z = Long.divideUnsigned(z, alphabet.length());
    }
    return out.toString();
  }
}
