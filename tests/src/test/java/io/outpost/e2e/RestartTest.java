package io.outpost.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.outpost.demo.Fleet;
import io.outpost.e2e.support.HubClient;
import io.outpost.hub.registry.ClusterRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Agents and the hub come and go; identities, the registry and kubeconfigs survive. */
class RestartTest {

  @TempDir Path dir;
  Fleet fleet;

  @AfterEach
  void stopFleet() {
    if (fleet != null) {
      fleet.close();
    }
  }

  @Test
  void aRestartedAgentIsReadyWithinFiveSecondsWithoutAToken() throws Exception {
    fleet = Fleet.start(dir, List.of(Fleet.Member.of("edge-1", "edge", Map.of())),
        hub -> hub.heartbeatInterval(Duration.ofMillis(500)), agent -> agent);
    await().atMost(Duration.ofSeconds(20)).until(() -> status("edge-1").equals(ClusterRecord.READY));

    fleet.stopAgent("edge-1");
    await().atMost(Duration.ofSeconds(5)).until(() -> status("edge-1").equals(ClusterRecord.OFFLINE));
    var offline = new HubClient(fleet).gatewayGet("edge-1", "/api/v1/pods");
    assertThat(offline.statusCode()).isEqualTo(503);
    assertThat(offline.body()).contains("\"reason\":\"ServiceUnavailable\"",
        "cluster \\\"edge-1\\\" is offline: its agent is not connected");

    long start = System.nanoTime();
    fleet.startAgent("edge-1");
    await().atMost(Duration.ofSeconds(5)).until(() -> status("edge-1").equals(ClusterRecord.READY));
    System.out.printf("agent Ready %d ms after its start%n", (System.nanoTime() - start) / 1_000_000);
    try (KubernetesClient viaHub = fleet.clientThroughHub("edge-1")) {
      assertThat(viaHub.nodes().list().getItems()).hasSize(3);
    }
  }

  @Test
  void aRestartedHubKeepsItsRegistryAndEveryAgentAndKubeconfigComeBack() {
    List<Fleet.Member> members = List.of(
        Fleet.Member.of("idc-1", "idc", Map.of("region", "cn-north")),
        Fleet.Member.of("edge-1", "edge", Map.of("region", "cn-east")));
    fleet = Fleet.start(dir, members, hub -> hub.heartbeatInterval(Duration.ofMillis(500)), agent -> agent);
    await().atMost(Duration.ofSeconds(20)).until(() ->
        status("idc-1").equals(ClusterRecord.READY) && status("edge-1").equals(ClusterRecord.READY));
    String oldKubeconfig = fleet.kubeconfig();

    fleet.restartHub();

    assertThat(fleet.hub().registry().get("edge-1")).get()
        .satisfies(r -> assertThat(r.labels()).containsEntry("region", "cn-east"))
        .satisfies(r -> assertThat(r.kind()).isEqualTo("edge"));
    long start = System.nanoTime();
    await().atMost(Duration.ofSeconds(30)).until(() ->
        status("idc-1").equals(ClusterRecord.READY) && status("edge-1").equals(ClusterRecord.READY));
    System.out.printf("every agent back %d ms after the hub restarted%n", (System.nanoTime() - start) / 1_000_000);
    for (Fleet.Member m : members) {
      try (KubernetesClient old = new KubernetesClientBuilder()
          .withConfig(Config.fromKubeconfig(m.name(), oldKubeconfig, null)).build()) {
        assertThat(old.pods().inAnyNamespace().list().getItems()).as(m.name()).isNotEmpty();
      }
    }
  }

  @Test
  void aDeletedClustersAgentCannotReconnectWithItsOldCertificate() {
    fleet = Fleet.start(dir, List.of(Fleet.Member.of("edge-1", "edge", Map.of())),
        hub -> hub.heartbeatInterval(Duration.ofMillis(500)), agent -> agent);
    await().atMost(Duration.ofSeconds(20)).until(() -> status("edge-1").equals(ClusterRecord.READY));

    new HubClient(fleet).send(new HubClient(fleet).request("/api/v1/clusters/edge-1").DELETE().build());

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(fleet.agent("edge-1").tunnel().lastError()).contains("is not registered at this hub"));
    assertThat(fleet.hub().tunnel().session("edge-1")).isEmpty();
  }

  private String status(String cluster) {
    return fleet.hub().registry().get(cluster).map(ClusterRecord::status).orElse("absent");
  }
}
