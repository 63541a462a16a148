package io.outpost.hub.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micronaut.json.JsonMapper;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KubeStatusTest {

  @Test
  void theJsonFormIsAKubernetesStatusWithTheMessageEscaped() throws Exception {
    KubeStatus status = KubeStatus.failure(404, "cluster \"ghost\" is not registered\nat this hub\\");
    @SuppressWarnings("unchecked")
    Map<String, Object> parsed = JsonMapper.createDefault().readValue(status.toJson(), Map.class);
    assertEquals("Status", parsed.get("kind"));
    assertEquals("v1", parsed.get("apiVersion"));
    assertEquals("Failure", parsed.get("status"));
    assertEquals("NotFound", parsed.get("reason"));
    assertEquals(404, ((Number) parsed.get("code")).intValue());
    assertEquals("cluster \"ghost\" is not registered\nat this hub\\", parsed.get("message"));
  }
}
