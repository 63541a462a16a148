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

  /** Removing a manifest from Git prunes its object; objects the bundle never owned stay. */
  @Test
  void removingAManifestFromGitPrunesItsObject() {
    try (GitFixture repo = repo("prune")) {
      String v1 = repo.write("prune/outpost-bundle.yaml", webBundle("prune", "prune",
          "  - names: [edge-01, edge-02]\n")).write("prune/config.yaml", CONFIG).commit("prune v1");
      api.source(source("prune", repo, "prune"));
      awaitSynced("prune", v1, List.of("edge-01", "edge-02"));
      assertThat(configMap("edge-01", "prune", "extra")).isNotNull();
      fleet.sandbox("edge-01").client().configMaps().inNamespace("prune").resource(new io.fabric8.kubernetes.api.model
          .ConfigMapBuilder().withNewMetadata().withName("manual").endMetadata().addToData("k", "v").build()).create();

      String v2 = repo.write("prune/config.yaml", CONFIG.substring(0, CONFIG.indexOf("---"))).commit("drop extra");
      api.webhook("prune");

      awaitSynced("prune", v2, List.of("edge-01", "edge-02"));
      assertThat(configMap("edge-01", "prune", "extra")).isNull();
      assertThat(configMap("edge-02", "prune", "extra")).isNull();
      assertThat(configMap("edge-01", "prune", "config")).isNotNull();
      assertThat(configMap("edge-01", "prune", "manual")).isNotNull();
    }
  }

  /** A selector that matches nothing is a clear status; relabelling a cluster retargets it, in and out. */
  @Test
  void relabellingAClusterRetargetsIt() {
    try (GitFixture repo = repo("relabel")) {
      String v1 = repo.write("team/outpost-bundle.yaml", webBundle("team", "team",
          "  - clusterSelector: {team: blue}\n")).write("team/config.yaml", CONFIG).commit("team v1");
      api.source(source("relabel", repo, "team"));
      await().atMost(WAIT).until(() -> api.bundle("team") != null && "NoTargets".equals(api.bundle("team").phase()));
      assertThat(api.bundle("team").message())
          .isEqualTo("no cluster matches the targets (clusterSelector {team=blue}); nothing was delivered");

      Map<String, String> labels = new LinkedHashMap<>(fleet.hub().registry().get("edge-05").orElseThrow().labels());
      labels.put("team", "blue");
      setLabels("edge-05", labels);
      awaitSynced("team", v1, List.of("edge-05"));
      assertThat(configMap("edge-05", "team", "config").getData()).containsEntry("cluster", "edge-05");

      labels.remove("team");
      setLabels("edge-05", labels);
      await().atMost(WAIT).untilAsserted(() -> assertThat(configMap("edge-05", "team", "config")).isNull());
      assertThat(api.bundle("team").phase()).isEqualTo("NoTargets");
    }
  }

  private void setLabels(String cluster, Map<String, String> labels) {
    String body = labels.entrySet().stream().map(e -> "\"" + e.getKey() + "\":\"" + e.getValue() + "\"")
        .collect(java.util.stream.Collectors.joining(",", "{", "}"));
    var response = new HubClient(fleet).send(new HubClient(fleet).request("/api/v1/clusters/" + cluster + "/labels")
        .header("Content-Type", "application/json").PUT(java.net.http.HttpRequest.BodyPublishers.ofString(body))
        .build());
    assertThat(response.statusCode()).isEqualTo(200);
  }

  /** An object edited on the cluster shows OutOfSync (drift: report) and is put back (drift: correct). */
  @Test
  void anObjectEditedOnTheClusterIsOutOfSyncAndThenCorrected() {
    try (GitFixture repo = repo("drift")) {
      String bundle = webBundle("drift", "drift", "  - names: [edge-06]\n");
      String v1 = repo.write("drift/outpost-bundle.yaml", "drift: report\n" + bundle)
          .write("drift/config.yaml", CONFIG).commit("drift v1");
      api.source(source("drift", repo, "drift"));
      awaitSynced("drift", v1, List.of("edge-06"));

      editExtra("edge-06", "edited by hand");
      await().atMost(WAIT).untilAsserted(() -> {
        BundleView.ClusterView c = api.cluster("drift", "edge-06");
        assertThat(c.status()).isEqualTo("OutOfSync");
        assertThat(c.objects()).singleElement().satisfies(o -> {
          assertThat(o.object()).isEqualTo("ConfigMap/drift/extra");
          assertThat(o.message()).isEqualTo("differs from Git: data.a");
        });
      });
      assertThat(configMap("edge-06", "drift", "extra").getData()).containsEntry("a", "edited by hand");

      String v2 = repo.write("drift/outpost-bundle.yaml", "drift: correct\n" + bundle).commit("correct drift");
      api.webhook("drift");
      awaitSynced("drift", v2, List.of("edge-06"));
      editExtra("edge-06", "edited again");
      await().atMost(WAIT).untilAsserted(
          () -> assertThat(configMap("edge-06", "drift", "extra").getData()).containsEntry("a", "1"));
      awaitSynced("drift", v2, List.of("edge-06"));
    }
  }

  private void editExtra(String cluster, String value) {
    fleet.sandbox(cluster).client().configMaps().inNamespace("drift").withName("extra")
        .edit(cm -> {
          cm.getData().put("a", value);
          return cm;
        });
  }

  /**
   * A cluster offline during a commit is Offline, does not hold the later waves, and gets the
   * revision within 5 s of its agent reconnecting.
   */
  @Test
  void aClusterOfflineDuringACommitCatchesUpAfterReconnecting() {
    try (GitFixture repo = repo("offline")) {
      String bundle = "name: offline\nnamespace: offline\ntargets:\n  - names: [edge-07, edge-08, edge-09]\n"
          + "rollout:\n  canary: {names: [edge-07]}\n  batchSize: 1\n";
      String v1 = repo.write("offline/outpost-bundle.yaml", bundle).write("offline/config.yaml", CONFIG.replace(
          "${values.greeting}", "v1")).commit("offline v1");
      api.source(source("offline", repo, "offline"));
      awaitSynced("offline", v1, List.of("edge-07", "edge-08", "edge-09"));

      fleet.stopAgent("edge-08");
      await().atMost(WAIT).until(() -> "Offline".equals(api.cluster("offline", "edge-08").status()));
      String v2 = repo.write("offline/config.yaml", CONFIG.replace("${values.greeting}", "v2")).commit("offline v2");
      api.webhook("offline");

      awaitSynced("offline", v2, List.of("edge-07", "edge-09"));
      await().atMost(WAIT).until(() -> "Complete".equals(api.bundle("offline").phase()));
      assertThat(api.bundle("offline").counts()).containsEntry("Offline", 1).containsEntry("Synced", 2);
      assertThat(configMap("edge-08", "offline", "config").getData()).containsEntry("greeting", "v1");

      long started = System.nanoTime();
      fleet.startAgent("edge-08");
      await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100)).untilAsserted(
          () -> assertThat(configMap("edge-08", "offline", "config").getData()).containsEntry("greeting", "v2"));
      awaitSynced("offline", v2, List.of("edge-08"));
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
    }
  }

  /**
   * A wave whose manifest fails on the cluster halts the rollout at the failure threshold and the
   * later waves keep the earlier revision; a rollback to the earlier commit restores it everywhere.
   */
  @Test
  void aFailingWaveHaltsAtTheThresholdAndRollbackRestoresTheEarlierCommit() {
    try (GitFixture repo = repo("waves")) {
      String bundle = "name: waves\nnamespace: waves\ntargets:\n  - names: [edge-11, edge-12, edge-13, edge-14, "
          + "edge-15, edge-16]\nrollout:\n  canary: {names: [edge-11]}\n  batchSize: 2\n  failureThreshold: 0\n";
      List<String> all = names(11, 16);
      String v1 = repo.write("waves/outpost-bundle.yaml", bundle).write("waves/config.yaml", CONFIG.replace(
          "${values.greeting}", "v1")).commit("waves v1");
      api.source(source("waves", repo, "waves"));
      awaitSynced("waves", v1, all);
      assertThat(api.bundle("waves").waves()).containsExactly(List.of("edge-11"), List.of("edge-12", "edge-13"),
          List.of("edge-14", "edge-15"), List.of("edge-16"));

      String v2 = repo.write("waves/config.yaml", CONFIG.replace("${values.greeting}", "v2"))
          .write("waves/widget.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n")
          .commit("waves v2 with a widget");
      api.webhook("waves");

      await().atMost(WAIT).until(() -> "Halted".equals(api.bundle("waves").phase()));
      BundleView halted = api.bundle("waves");
      assertThat(halted.message()).startsWith("1 cluster(s) failed, more than the failure threshold of 0;");
      BundleView.ClusterView canary = api.cluster("waves", "edge-11");
      assertThat(canary.status()).isEqualTo("Failed");
      assertThat(canary.revision()).isEqualTo(v2);
      assertThat(canary.objects()).singleElement().satisfies(o -> {
        assertThat(o.object()).isEqualTo("Widget/waves/w");
        assertThat(o.message()).isEqualTo("kind \"Widget\" (apiVersion \"example.com/v1\") is not served by this"
            + " cluster's apiserver; is its CRD installed?");
      });
      for (String later : names(12, 16)) {
        BundleView.ClusterView c = api.cluster("waves", later);
        assertThat(c.status()).as(later).isEqualTo("Pending");
        assertThat(c.revision()).isEqualTo(v1);
        assertThat(configMap(later, "waves", "config").getData()).containsEntry("greeting", "v1");
      }

      var rollback = api.post("/api/v1/bundles/waves/rollback", "{\"revision\":\"" + v1.substring(0, 10) + "\"}");
      assertThat(rollback.statusCode()).as(rollback.body()).isEqualTo(200);
      awaitSynced("waves", v1, all);
      await().atMost(WAIT).until(() -> "Complete".equals(api.bundle("waves").phase()));
      assertThat(configMap("edge-11", "waves", "config").getData()).containsEntry("greeting", "v1");
      assertThat(api.bundle("waves").history()).extracting(BundleView.History::reason, BundleView.History::by)
          .containsExactly(org.assertj.core.groups.Tuple.tuple("commit", "admin"),
              org.assertj.core.groups.Tuple.tuple("commit", "webhook (admin)"),
              org.assertj.core.groups.Tuple.tuple("rollback", "admin"));
      // The branch has not moved: the next poll keeps the rollback.
      api.webhook("waves");
      assertThat(api.bundle("waves").revision()).isEqualTo(v1);
    }
  }

  /** A paused bundle holds a new commit back from every cluster; promote releases the next wave and goes on. */
  @Test
  void pauseHoldsANewCommitAndPromoteReleasesIt() {
    try (GitFixture repo = repo("pause")) {
      String bundle = "name: pause\nnamespace: pause\ntargets:\n  - names: [edge-17, edge-18, edge-19]\n"
          + "rollout:\n  canary: 1\n  batchSize: 1\n";
      List<String> all = names(17, 19);
      String v1 = repo.write("pause/outpost-bundle.yaml", bundle).write("pause/config.yaml", CONFIG.replace(
          "${values.greeting}", "v1")).commit("pause v1");
      api.source(source("pause", repo, "pause"));
      awaitSynced("pause", v1, all);

      assertThat(api.post("/api/v1/bundles/pause/pause", "{}").statusCode()).isEqualTo(200);
      String v2 = repo.write("pause/config.yaml", CONFIG.replace("${values.greeting}", "v2")).commit("pause v2");
      api.webhook("pause");

      BundleView paused = api.bundle("pause");
      assertThat(paused.phase()).isEqualTo("Paused");
      assertThat(paused.revision()).isEqualTo(v2);
      assertThat(paused.message()).isEqualTo("paused; commit " + v2.substring(0, 12) + " waits for resume or promote");
      assertThat(paused.clusters()).allSatisfy(c -> {
        assertThat(c.status()).isEqualTo("Pending");
        assertThat(c.desired()).isEqualTo(v1);
      });

      var promoted = api.post("/api/v1/bundles/pause/promote", "{}");
      assertThat(promoted.statusCode()).isEqualTo(200);
      assertThat(DeliveryApi.read(promoted.body(), BundleView.class).clusters())
          .filteredOn(c -> v2.equals(c.desired())).extracting(BundleView.ClusterView::cluster)
          .containsExactly("edge-17", "edge-18");
      awaitSynced("pause", v2, all);
      await().atMost(WAIT).until(() -> "Complete".equals(api.bundle("pause").phase()));
    }
  }
}
