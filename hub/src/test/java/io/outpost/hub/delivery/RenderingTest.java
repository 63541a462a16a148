package io.outpost.hub.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.hub.registry.ClusterRecord;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Loading a bundle directory, targeting clusters, planning waves and rendering per cluster. */
class RenderingTest {

  static final Commit COMMIT = new Commit("0123456789abcdef0123456789abcdef01234567", "msg", "me", "now");
  static final ObjectMapper JSON = new ObjectMapper();

  static ClusterRecord cluster(String name, String kind, Map<String, String> labels) {
    return new ClusterRecord(name, kind, labels, ClusterRecord.READY, null, null, 0, 0, null, null, "now", null,
        List.of(), null);
  }

  static LoadedBundle load(Map<String, String> files) throws DeliveryException {
    Map<String, byte[]> bytes = new LinkedHashMap<>();
    files.forEach((k, v) -> bytes.put(k, v.getBytes(StandardCharsets.UTF_8)));
    return LoadedBundle.parse("web/", bytes, COMMIT, "tree");
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> render(LoadedBundle bundle, ClusterRecord cluster) throws Exception {
    List<Map<String, Object>> result = new java.util.ArrayList<>();
    for (String json : Renderer.render(bundle, cluster)) {
      result.add(JSON.readValue(json, Map.class));
    }
    return result;
  }

  static final String BUNDLE = """
      name: web
      namespace: web
      values: {greeting: hello, replicas: 2}
      targets: [{clusterSelector: {env: prod}}]
      exclude: [{names: [edge-9]}]
      customizations:
        - match: {clusterSelector: {region: sh}}
          values: {greeting: nihao, replicas: 3}
          overlay: overlays/sh
        - match: {names: [edge-2]}
          namespace: web-two
      """;

  static final String DEPLOYMENT = """
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web, labels: {app: web}}
      spec:
        replicas: ${values.replicas}
        template:
          metadata: {annotations: {cluster: "${cluster.name} in ${cluster.labels.region}"}}
      ---
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: greeting}
      data: {text: "${values.greeting} from ${cluster.kind}"}
      """;

  static final String OVERLAY = """
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web, labels: {app: null, tier: edge}}
      spec: {paused: true}
      """;

  @Test
  @SuppressWarnings("unchecked")
  void valuesOverlaysAndNamespacesArePerCluster() throws Exception {
    LoadedBundle bundle = load(Map.of("outpost-bundle.yaml", BUNDLE, "apps/deploy.yaml", DEPLOYMENT,
        "overlays/sh/deploy.yaml", OVERLAY));
    assertEquals(2, bundle.base().size(), "overlay files are not base manifests");

    List<Map<String, Object>> sh = render(bundle, cluster("edge-1", "edge", Map.of("env", "prod", "region", "sh")));
    assertEquals("Namespace", sh.get(0).get("kind"), "the namespace the objects go to is created first");
    Map<String, Object> deployment = sh.get(1);
    Map<String, Object> spec = (Map<String, Object>) deployment.get("spec");
    assertEquals(3, spec.get("replicas"), "a whole-string placeholder with a number becomes a number");
    assertEquals(true, spec.get("paused"));
    assertEquals(Map.of("tier", "edge"), ((Map<String, Object>) deployment.get("metadata")).get("labels"));
    assertEquals("web", ((Map<String, Object>) deployment.get("metadata")).get("namespace"));
    assertEquals(Map.of("cluster", "edge-1 in sh"), ((Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>)
        spec.get("template")).get("metadata")).get("annotations")));
    assertEquals(Map.of("text", "nihao from edge"), sh.get(2).get("data"));

    List<Map<String, Object>> two = render(bundle, cluster("edge-2", "idc", Map.of("env", "prod", "region", "bj")));
    assertEquals(Map.of("name", "web-two"), two.get(0).get("metadata"));
    Map<String, Object> plain = (Map<String, Object>) two.get(1).get("spec");
    assertEquals(2, plain.get("replicas"));
    assertEquals(null, plain.get("paused"));
    assertEquals("web-two", ((Map<String, Object>) two.get(2).get("metadata")).get("namespace"));
    assertEquals(Map.of("text", "hello from idc"), two.get(2).get("data"));
  }

  @Test
  void targetsAreSelectedByLabelsKindsAndNamesMinusExclusions() throws Exception {
    BundleSpec spec = load(Map.of("outpost-bundle.yaml", BUNDLE, "a.yaml", DEPLOYMENT, "overlays/sh/d.yaml", OVERLAY))
        .spec();
    List<ClusterRecord> clusters = List.of(cluster("edge-3", "edge", Map.of("env", "prod")),
        cluster("edge-1", "edge", Map.of("env", "prod")), cluster("edge-9", "edge", Map.of("env", "prod")),
        cluster("edge-5", "edge", Map.of("env", "dev")));
    assertEquals(List.of("edge-1", "edge-3"), spec.select(clusters).stream().map(ClusterRecord::name).toList());
  }

  @Test
  void anUndefinedValueIsAnErrorNamingFileAndCluster() throws Exception {
    LoadedBundle bundle = load(Map.of("outpost-bundle.yaml", "name: web\ntargets: [{}]\n",
        "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: '${values.missing}'}\n"));
    String message = assertThrows(DeliveryException.class, () -> Renderer.render(bundle,
        cluster("edge-1", "edge", Map.of()))).getMessage();
    assertTrue(message.startsWith("web/cm.yaml document 1: ${values.missing} has no value for cluster \"edge-1\""),
        message);
  }

  @Test
  void brokenManifestsAreFoundWhenLoadingBeforeAnyClusterGetsAnything() {
    assertEquals("web/bad.yaml document 2: missing \"kind\"", assertThrows(DeliveryException.class,
        () -> load(Map.of("outpost-bundle.yaml", "name: web\ntargets: [{}]\n", "bad.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nmetadata: {name: b}\n")))
        .getMessage());
    String yaml = assertThrows(DeliveryException.class, () -> load(Map.of("outpost-bundle.yaml",
        "name: web\ntargets: [{}]\n", "bad.yaml", "apiVersion: v1\nkind: ConfigMap\n  metadata: {name: a}\n")))
        .getMessage();
    assertTrue(yaml.startsWith("web/bad.yaml: invalid YAML at line 3"), yaml);
    assertEquals("web/outpost-bundle.yaml: missing (every bundle path needs one; see the README)",
        assertThrows(DeliveryException.class, () -> load(Map.of("a.yaml", DEPLOYMENT))).getMessage());
  }

  @Test
  void wavesAreTheCanaryThenBatches() {
    List<ClusterRecord> clusters = new java.util.ArrayList<>();
    for (int i = 1; i <= 7; i++) {
      clusters.add(cluster("c" + i, "edge", Map.of("ring", i == 4 ? "canary" : "main")));
    }
    BundleSpec.ClusterMatch canary = new BundleSpec.ClusterMatch(Map.of("ring", "canary"), List.of(), List.of());
    assertEquals(List.of(List.of("c4"), List.of("c1", "c2"), List.of("c3", "c5"), List.of("c6", "c7")),
        WavePlanner.plan(new BundleSpec.Rollout(canary, 0, new BundleSpec.Amount(2, false), BundleSpec.Amount.ALL, 0,
            false), clusters));
    assertEquals(List.of(List.of("c1"), List.of("c2", "c3", "c4"), List.of("c5", "c6", "c7")),
        WavePlanner.plan(new BundleSpec.Rollout(null, 1, new BundleSpec.Amount(50, true), BundleSpec.Amount.ALL, 0,
            false), clusters));
    assertEquals(1, WavePlanner.plan(BundleSpec.Rollout.DEFAULT, clusters).size());
  }
}
