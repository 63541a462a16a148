package io.outpost.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.outpost.demo.Fleet;
import io.outpost.e2e.support.DeliveryApi;
import io.outpost.e2e.support.GitFixture;
import io.outpost.e2e.support.HubClient;
import io.outpost.hub.delivery.BundleView;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * GitOps delivery end to end: a Git repository made with JGit, a hub, and 20 sandbox clusters with
 * real agents joined through the tunnel. The fleet starts once; each scenario uses its own
 * repository, bundle and namespace, so scenarios do not see each other.
 *
 * <p>Members: edge-01..edge-20; edge-01..10 kind edge, 11..20 kind idc; env=prod for 01..16 and
 * dev for 17..20; region=sh for odd numbers, bj for even ones.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DeliveryTest {

  static final Duration WAIT = Duration.ofSeconds(60);

  Path dir;
  Fleet fleet;
  DeliveryApi api;

  @BeforeAll
  void startFleet() throws Exception {
    dir = Files.createTempDirectory("delivery-test");
    List<Fleet.Member> members = new ArrayList<>();
    for (int i = 1; i <= 20; i++) {
      members.add(Fleet.Member.of(name(i), i <= 10 ? "edge" : "idc",
          Map.of("env", i <= 16 ? "prod" : "dev", "region", i % 2 == 1 ? "sh" : "bj")));
    }
    fleet = Fleet.start(dir.resolve("fleet"), members, hub -> hub.property("delivery.tick-interval", "100ms"),
        agent -> agent.property("delivery.drift-interval", "500ms"));
    api = new DeliveryApi(new HubClient(fleet));
  }

  @AfterAll
  void stopFleet() {
    if (fleet != null) {
      fleet.close();
    }
  }

  static String name(int i) {
    return String.format("edge-%02d", i);
  }

  static List<String> names(int from, int to) {
    return IntStream.rangeClosed(from, to).mapToObj(DeliveryTest::name).toList();
  }

  GitFixture repo(String name) {
    return GitFixture.init(dir.resolve("repos").resolve(name));
  }

  Map<String, Object> source(String name, GitFixture repo, String... paths) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("name", name);
    body.put("url", repo.url());
    body.put("ref", "main");
    body.put("paths", List.of(paths));
    return body;
  }

  ConfigMap configMap(String cluster, String namespace, String name) {
    return fleet.sandbox(cluster).client().configMaps().inNamespace(namespace).withName(name).get();
  }

  void awaitSynced(String bundle, String revision, List<String> clusters) {
    await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
      BundleView view = api.bundle(bundle);
      assertThat(view).isNotNull();
      for (String cluster : clusters) {
        BundleView.ClusterView c = view.clusters().stream().filter(x -> x.cluster().equals(cluster)).findFirst()
            .orElseThrow(() -> new AssertionError(cluster + " not targeted: " + view));
        assertThat(c.status()).as(cluster + ": " + c).isEqualTo(BundleView.SYNCED);
        assertThat(c.revision()).isEqualTo(revision);
      }
    });
  }

  static String webBundle(String name, String namespace, String targets) {
    return "name: " + name + "\nnamespace: " + namespace + "\nvalues: {greeting: hello}\ntargets:\n" + targets
        + "customizations:\n  - match: {clusterSelector: {region: sh}}\n    values: {greeting: nihao}\n";
  }

  static final String CONFIG = """
      apiVersion: v1
      kind: ConfigMap
      metadata:
        name: config
      data:
        cluster: ${cluster.name}
        region: ${cluster.labels.region}
        greeting: ${values.greeting}
      ---
      apiVersion: v1
      kind: ConfigMap
      metadata:
        name: extra
      data:
        a: "1"
      """;

  static final String DEPLOYMENT = """
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: web
      spec:
        replicas: 2
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec:
            containers: [{name: web, image: "nginx:1.27"}]
      """;

  /** A commit reaches every selected cluster (Synced), with each cluster's own values, and no other. */
  @Test
  void aCommitReachesAllSelectedClustersWithTheirOwnValues() {
    try (GitFixture repo = repo("web")) {
      String commit = repo.write("web/outpost-bundle.yaml", webBundle("web", "web", "  - clusterSelector: {env: prod}\n"))
          .write("web/config.yaml", CONFIG).write("web/apps/deploy/deployment.yaml", DEPLOYMENT).commit("web v1");

      api.source(source("web", repo, "web"));

      List<String> prod = names(1, 16);
      awaitSynced("web", commit, prod);
      BundleView view = api.bundle("web");
      assertThat(view.phase()).isEqualTo("Complete");
      assertThat(view.counts()).containsEntry("Synced", 16);
      assertThat(view.clusters()).extracting(BundleView.ClusterView::cluster).containsExactlyElementsOf(prod);
      assertThat(view.clusters().get(0).applyMode()).isEqualTo("create-or-update");
      assertThat(view.history()).singleElement().satisfies(h -> {
        assertThat(h.revision()).isEqualTo(commit);
        assertThat(h.author()).isEqualTo("Platform Team");
        assertThat(h.message()).isEqualTo("web v1");
      });
      ConfigMap sh = configMap("edge-03", "web", "config");
      assertThat(sh.getData()).containsEntry("cluster", "edge-03").containsEntry("region", "sh")
          .containsEntry("greeting", "nihao");
      assertThat(sh.getMetadata().getLabels()).containsEntry("outpost.io/bundle", "web");
      assertThat(configMap("edge-04", "web", "config").getData()).containsEntry("cluster", "edge-04")
          .containsEntry("greeting", "hello");
      assertThat(fleet.sandbox("edge-04").client().apps().deployments().inNamespace("web").withName("web").get()
          .getSpec().getReplicas()).isEqualTo(2);
      assertThat(fleet.sandbox("edge-04").client().namespaces().withName("web").get()).isNotNull();
      assertThat(configMap("edge-17", "web", "config")).isNull();
    }
  }
}
