package io.outpost.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.demo.Fleet;
import io.outpost.e2e.support.DeliveryApi;
import io.outpost.e2e.support.GitFixture;
import io.outpost.e2e.support.HubClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With the hub gone, the agent keeps its cluster converged from the bundle it keeps locally; when
 * the hub is back, it still knows the rollout (stored in its data dir) and the cluster is Synced.
 */
class DeliveryOfflineDriftTest {

  @TempDir Path dir;
  Fleet fleet;

  @AfterEach
  void stop() {
    fleet.close();
  }

  @Test
  void driftIsCorrectedWhileTheHubIsUnreachableAndTheRolloutSurvivesTheHubRestart() {
    fleet = Fleet.start(dir.resolve("fleet"), List.of(Fleet.Member.of("edge-1", "edge", Map.of())),
        h -> h.property("delivery.tick-interval", "100ms"), a -> a.property("delivery.drift-interval", "300ms"));
    DeliveryApi api = new DeliveryApi(new HubClient(fleet));
    String commit;
    try (GitFixture repo = GitFixture.init(dir.resolve("repo"))) {
      commit = repo.write("app/outpost-bundle.yaml", "name: keep\nnamespace: keep\ndrift: correct\ntargets: [{}]\n")
          .write("app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {v: git}\n")
          .commit("keep");
      api.source(Map.of("name", "keep", "url", repo.url(), "paths", List.of("app")));
      await().atMost(Duration.ofSeconds(30)).until(() -> "Complete".equals(api.bundle("keep").phase()));
    }

    fleet.hub().close();
    var configMaps = fleet.sandbox("edge-1").client().configMaps().inNamespace("keep");
    configMaps.withName("cm").edit(cm -> {
      cm.getData().put("v", "edited while offline");
      return cm;
    });
    configMaps.withName("cm").delete();

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      assertThat(configMaps.withName("cm").get()).isNotNull();
      assertThat(configMaps.withName("cm").get().getData()).containsEntry("v", "git");
    });

    fleet.restartHub();
    DeliveryApi restarted = new DeliveryApi(new HubClient(fleet));
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
      var view = restarted.bundle("keep");
      assertThat(view.revision()).isEqualTo(commit);
      assertThat(view.phase()).isEqualTo("Complete");
      assertThat(restarted.cluster("keep", "edge-1").status()).isEqualTo("Synced");
    });
  }
}
