package io.outpost.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.agent.identity.AgentIdentityFiles;
import io.outpost.demo.Fleet;
import io.outpost.hub.registry.ClusterRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Agents renew their client certificate before it expires, and reconnect with the new one. */
class CertificateRotationTest {

  @TempDir Path dir;
  Fleet fleet;

  @AfterEach
  void stopFleet() {
    if (fleet != null) {
      fleet.close();
    }
  }

  @Test
  void anAgentRenewsItsCertificateAndAfterARestartConnectsWithTheNewOne() {
    // Certificates start five minutes in the past (clock skew), so a two-minute certificate is
    // already past two thirds of its life: the agent renews at its first check.
    fleet = Fleet.start(dir, List.of(Fleet.Member.of("edge-1", "edge", Map.of())),
        hub -> hub.property("client-cert-validity", "2m"),
        agent -> agent.property("renew-check-interval", "5s"));
    String joined = serial(AgentIdentityFiles.load(fleet.agentDir("edge-1")).current().certificate());

    await().atMost(Duration.ofSeconds(20)).until(() ->
        !serial(AgentIdentityFiles.load(fleet.agentDir("edge-1")).current().certificate()).equals(joined));
    String renewed = serial(AgentIdentityFiles.load(fleet.agentDir("edge-1")).current().certificate());
    assertThat(fleet.hub().registry().get("edge-1").orElseThrow().certificateSerials()).contains(renewed);

    fleet.stopAgent("edge-1");
    fleet.startAgent("edge-1");
    await().atMost(Duration.ofSeconds(10)).until(() ->
        fleet.hub().registry().get("edge-1").map(ClusterRecord::status).orElse("").equals(ClusterRecord.READY));
    assertThat(fleet.hub().tunnel().session("edge-1").orElseThrow().identity().serial())
        .isNotEqualTo(joined);
  }

  private static String serial(java.security.cert.X509Certificate cert) {
    return cert.getSerialNumber().toString(16);
  }
}
