package io.outpost.agent.nodeproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Identity, request classification, the kubelet write policy and the health state machine, without sockets. */
class NodeProxyUnitsTest {

  @Test
  void givenUserAgents_whenIdentified_thenProgramNameBeforeFirstSlash() {
    assertEquals("kubelet", ClientIdentity.fromUserAgent("kubelet/v1.32.0 (linux/amd64) kubernetes/abc"));
    assertEquals("kube-proxy", ClientIdentity.fromUserAgent("kube-proxy/v1.32.0"));
    assertEquals("unknown", ClientIdentity.fromUserAgent(null));
    assertEquals("unknown", ClientIdentity.fromUserAgent("/x"));
  }

  @Test
  void givenApiPaths_whenParsed_thenVerbResourceNamespaceAndNameAreClassified() {
    ApiRequest watch = ApiRequest.parse("GET", "/api/v1/namespaces/default/pods", Map.of("watch", List.of("true")));
    assertEquals(ApiRequest.Verb.WATCH, watch.verb());
    assertEquals("/v1/pods", watch.resource());
    assertEquals("default", watch.namespace());

    ApiRequest list = ApiRequest.parse("GET", "/api/v1/pods", Map.of());
    assertEquals(ApiRequest.Verb.LIST, list.verb());
    assertEquals("", list.namespace());

    ApiRequest get = ApiRequest.parse("GET", "/apis/apps/v1/namespaces/shop/deployments/web", Map.of());
    assertEquals(ApiRequest.Verb.GET, get.verb());
    assertEquals("apps/v1/deployments", get.resource());
    assertEquals("apps/v1", get.apiVersion());
    assertEquals("web", get.name());

    assertEquals(ApiRequest.Verb.GET, ApiRequest.parse("GET", "/api/v1/nodes/n1", Map.of()).verb());
    assertEquals(ApiRequest.Verb.OTHER, ApiRequest.parse("GET", "/api/v1/namespaces/d/pods/p/log", Map.of()).verb());
    assertEquals(ApiRequest.Verb.OTHER, ApiRequest.parse("GET", "/version", Map.of()).verb());
    assertEquals(ApiRequest.Verb.WRITE, ApiRequest.parse("PATCH", "/api/v1/nodes/n1/status", Map.of()).verb());
  }

  @Test
  void givenOutage_whenKubeletHeartbeatWrites_thenAcknowledgedAndOtherWritesRefused() {
    byte[] lease = "{\"kind\":\"Lease\"}".getBytes(StandardCharsets.UTF_8);
    byte[] node = "{\"kind\":\"Node\"}".getBytes(StandardCharsets.UTF_8);

    assertTrue(KubeletWrites.acknowledge(ApiRequest.parse("PUT",
        "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1", Map.of()), lease, Optional::empty)
        .isPresent());
    assertEquals(Optional.of(node), KubeletWrites.acknowledge(ApiRequest.parse("PATCH", "/api/v1/nodes/n1/status",
        Map.of()), "{}".getBytes(StandardCharsets.UTF_8), () -> Optional.of(node)));
    assertTrue(KubeletWrites.acknowledge(ApiRequest.parse("PUT", "/api/v1/nodes/n1/status", Map.of()), node,
        Optional::empty).isPresent());
    assertFalse(KubeletWrites.acknowledge(ApiRequest.parse("PUT",
        "/apis/coordination.k8s.io/v1/namespaces/default/leases/n1", Map.of()), lease, Optional::empty).isPresent());
    assertFalse(KubeletWrites.acknowledge(ApiRequest.parse("POST", "/api/v1/namespaces/default/events", Map.of()),
        lease, Optional::empty).isPresent());
    assertFalse(KubeletWrites.acknowledge(ApiRequest.parse("DELETE", "/api/v1/namespaces/default/pods/p", Map.of()),
        lease, Optional::empty).isPresent());
  }

  @Test
  void givenThresholds_whenFailuresAndSuccessesArrive_thenStateFlipsOnlyAtThresholdsAndOutagesCount() {
    UpstreamHealth health = new UpstreamHealth(new UpstreamHealth.Settings(Duration.ofSeconds(1),
        Duration.ofSeconds(1), 3, 2), () -> CompletableFuture.completedFuture(true));
    List<Boolean> transitions = new java.util.concurrent.CopyOnWriteArrayList<>();
    health.onChange(transitions::add);

    health.recordFailure("x");
    health.recordFailure("x");
    assertTrue(health.isHealthy());
    health.recordFailure("x");
    assertFalse(health.isHealthy());
    health.recordSuccess();
    assertFalse(health.isHealthy());
    health.recordSuccess();
    assertTrue(health.isHealthy());

    assertEquals(List.of(false, true), transitions);
    assertEquals(1, health.outages());
  }
}
