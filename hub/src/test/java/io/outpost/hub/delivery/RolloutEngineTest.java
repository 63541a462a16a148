package io.outpost.hub.delivery;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micronaut.json.JsonMapper;
import io.outpost.cache.store.DurableStore;
import io.outpost.hub.registry.ClusterRegistry;
import io.outpost.tunnel.delivery.BundleReport;
import io.outpost.tunnel.delivery.DesiredBundle;
import io.outpost.tunnel.delivery.Phase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.PersonIdent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rollout engine against a real registry and Git mirror, with the agents played by the test:
 * sinks record what each cluster is sent, and the test reports back as an agent would.
 */
class RolloutEngineTest {

  @TempDir Path dir;
  DurableStore store;
  ClusterRegistry registry;
  RolloutEngine engine;
  GitRepos repos;
  final Map<String, List<DesiredBundle>> sent = new ConcurrentHashMap<>();

  @AfterEach
  void close() {
    engine.close();
    store.close();
  }

  /**
   * Five clusters c1..c5, those named in {@code online} connected, then the bundle "app" with the
   * given rollout block offered at its first commit.
   */
  Commit start(String rollout, String... online) throws Exception {
    store = DurableStore.open(dir.resolve("hub.db"));
    registry = new ClusterRegistry(store, JsonMapper.createDefault(), Clock.systemUTC());
    for (int i = 1; i <= 5; i++) {
      registry.register("c" + i, "edge", Map.of(), "serial-" + i);
    }
    repos = new GitRepos(dir.resolve("git"), Duration.ofSeconds(10));
    engine = new RolloutEngine(registry, repos, store, Clock.systemUTC()).start(Duration.ofMillis(20));
    Path repo = dir.resolve("repo");
    Files.createDirectories(repo.resolve("app"));
    Files.writeString(repo.resolve("app/outpost-bundle.yaml"), "name: app\ntargets: [{}]\n" + rollout,
        StandardCharsets.UTF_8);
    Files.writeString(repo.resolve("app/cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n",
        StandardCharsets.UTF_8);
    try (Git git = Git.init().setDirectory(repo.toFile()).setInitialBranch("main").call()) {
      git.add().addFilepattern(".").call();
      PersonIdent me = new PersonIdent("t", "t@example.com");
      git.commit().setMessage("v1").setAuthor(me).setCommitter(me).call();
    }
    SourceSpec spec = new SourceSpec("src", repo.toString(), "main", List.of("app"), null);
    Commit head = repos.fetch(spec, null);
    connect(online);
    LoadedBundle bundle = LoadedBundle.load(repos, "src", "app", head);
    assertEquals(null, engine.offer("src", "app", head, "app", bundle, null, "test"));
    return head;
  }

  void connect(String... clusters) {
    for (String c : clusters) {
      sent.putIfAbsent(c, new CopyOnWriteArrayList<>());
      engine.connected(c, sent.get(c)::add);
    }
  }

  void report(String cluster, String revision, Phase phase) {
    engine.report(cluster, BundleReport.newBuilder().setBundle("app").setRevision(revision).setPhase(phase)
        .setMessage(phase == Phase.FAILED ? "boom" : "").build());
  }

  int received(String cluster) {
    return sent.getOrDefault(cluster, List.of()).size();
  }

  String status(String cluster) {
    return engine.get("app").orElseThrow().clusters().stream().filter(c -> c.cluster().equals(cluster)).findFirst()
        .orElseThrow().status();
  }

  @Test
  void maxUnavailableReleasesTheNextClusterOnlyWhenOneIsSynced() throws Exception {
    Commit head = start("rollout: {maxUnavailable: 2}\n", "c1", "c2", "c3", "c4", "c5");
    await().atMost(Duration.ofSeconds(5)).until(() -> received("c1") + received("c2") == 2);
    assertEquals(0, received("c3") + received("c4") + received("c5"), "two at a time");

    report("c1", head.id(), Phase.SYNCED);
    await().atMost(Duration.ofSeconds(5)).until(() -> received("c3") == 1);
    assertEquals(0, received("c4") + received("c5"));
    for (String c : List.of("c2", "c3", "c4", "c5")) {
      await().atMost(Duration.ofSeconds(5)).until(() -> received(c) == 1);
      report(c, head.id(), Phase.SYNCED);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> engine.get("app").orElseThrow().phase().equals("Complete"));
  }

  @Test
  void anOfflineClusterDoesNotHoldItsWaveAndGetsTheRevisionWhenItConnects() throws Exception {
    Commit head = start("rollout: {canary: 1, batchSize: 2}\n", "c1", "c3", "c4", "c5");
    for (String c : List.of("c1", "c3", "c4", "c5")) {
      await().atMost(Duration.ofSeconds(5)).until(() -> received(c) == 1);
      report(c, head.id(), Phase.SYNCED);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> engine.get("app").orElseThrow().phase().equals("Complete"));
    assertEquals("Offline", status("c2"));

    connect("c2");
    await().atMost(Duration.ofSeconds(5)).until(() -> received("c2") == 1);
    assertEquals(head.id(), sent.get("c2").get(0).getRevision());
    report("c2", head.id(), Phase.SYNCED);
    await().atMost(Duration.ofSeconds(5)).until(() -> status("c2").equals("Synced"));
  }

  @Test
  void withWaitForOfflineAnOfflineClusterHoldsItsWave() throws Exception {
    Commit head = start("rollout: {canary: 1, batchSize: 2, waitForOffline: true}\n", "c1", "c2");
    for (String c : List.of("c1", "c2")) {
      await().atMost(Duration.ofSeconds(5)).until(() -> received(c) == 1);
      report(c, head.id(), Phase.SYNCED);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> engine.get("app").orElseThrow().wave() == 1);
    connect("c4", "c5");
    // Wave 2 is [c2, c3]; c3 is offline and holds it, so c4 and c5 (wave 3) get nothing.
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> received("c4") == 0);
    assertEquals(0, received("c5"));
    assertEquals("Progressing", engine.get("app").orElseThrow().phase());

    connect("c3");
    await().atMost(Duration.ofSeconds(5)).until(() -> received("c3") == 1);
    report("c3", head.id(), Phase.SYNCED);
    await().atMost(Duration.ofSeconds(5)).until(() -> received("c4") == 1 && received("c5") == 1);
  }

  @Test
  void moreFailuresThanTheThresholdHaltTheRollout() throws Exception {
    Commit head = start("rollout: {batchSize: 2, failureThreshold: 1}\n", "c1", "c2", "c3", "c4", "c5");
    await().atMost(Duration.ofSeconds(5)).until(() -> received("c1") == 1 && received("c2") == 1);
    report("c1", head.id(), Phase.FAILED);
    report("c2", head.id(), Phase.SYNCED);
    // One failure is within the threshold: the next wave goes out.
    await().atMost(Duration.ofSeconds(5)).until(() -> received("c3") == 1 && received("c4") == 1);
    report("c3", head.id(), Phase.FAILED);
    await().atMost(Duration.ofSeconds(5)).until(() -> engine.get("app").orElseThrow().phase().equals("Halted"));
    assertEquals("2 cluster(s) failed, more than the failure threshold of 1; waves after wave 2 are on hold. c1: boom",
        engine.get("app").orElseThrow().message());
    report("c4", head.id(), Phase.SYNCED);
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> received("c5") == 0);
  }
}
