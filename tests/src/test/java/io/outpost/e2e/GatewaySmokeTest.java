package io.outpost.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.outpost.demo.Fleet;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GatewaySmokeTest {

  @TempDir Path dir;

  @Test
  void listsPodsThroughTheHub() throws Exception {
    try (Fleet fleet = Fleet.start(dir, List.of(Fleet.Member.of("edge-1", "edge", Map.of("region", "sh"))),
        hub -> hub.heartbeatInterval(Duration.ofMillis(500)), agent -> agent)) {
      fleet.agent("edge-1").awaitConnected(Duration.ofSeconds(10));
      try (KubernetesClient client = fleet.clientThroughHub("edge-1")) {
        var pods = client.pods().inAnyNamespace().list().getItems();
        assertFalse(pods.isEmpty());
        assertEquals(fleet.sandbox("edge-1").client().pods().inAnyNamespace().list().getItems().size(), pods.size());
      }
    }
  }
}
