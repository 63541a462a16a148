package io.outpost.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ApiPathsTest {

  private static final URI APISERVER = URI.create("https://10.0.0.1:6443");

  @Test
  void aPathBelowTheApiserverResolvesWithItsQuery() {
    URI target = ApiPaths.resolve(APISERVER, "/api/v1/namespaces/shop/pods", "watch=1&labelSelector=app%3Dweb");
    assertEquals("https://10.0.0.1:6443/api/v1/namespaces/shop/pods?watch=1&labelSelector=app%3Dweb", target.toString());
  }

  @Test
  void anApiserverWithABasePathKeepsIt() {
    URI target = ApiPaths.resolve(URI.create("https://rancher.example/k8s/clusters/c-1"), "/api/v1/pods", "");
    assertEquals("https://rancher.example/k8s/clusters/c-1/api/v1/pods", target.toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"/api/../../etc/passwd", "/api/%2e%2e/secret", "/api/%2E%2E/secret", "/./api",
      "//evil.example/x", "/http://169.254.169.254/latest", "api/v1/pods", "", "/api%2f..%2fx", "/api\\..\\x",
      "/api/v1/pods?x=1", "/api/v1/pods#frag", "/api/\u0000"})
  void aPathThatCouldLeaveTheApiserverIsRefusedWithTheReason(String path) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ApiPaths.resolve(APISERVER, path, ""));
    assertTrue(e.getMessage().contains("is refused"), e.getMessage());
    assertTrue(e.getMessage().contains("only paths below the member cluster's apiserver are proxied"), e.getMessage());
  }
}
