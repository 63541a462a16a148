package io.outpost.agent.nodeproxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.outpost.cache.objects.CacheBudget;
import io.outpost.cache.objects.DurableObjectCache;
import io.outpost.cache.objects.ListResult;
import io.outpost.cache.objects.ListScope;
import io.outpost.cache.objects.ObjectCache;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the recorder makes of LIST answers, with a real cache file. */
class RecorderTest {

  @TempDir
  Path dir;

  private static byte[] podList(String resourceVersion, String continueToken, String... names) {
    StringBuilder items = new StringBuilder();
    for (String name : names) {
      items.append(items.length() == 0 ? "" : ",").append("{\"metadata\":{\"name\":\"").append(name)
          .append("\",\"namespace\":\"default\",\"resourceVersion\":\"1\"}}");
    }
    return ("{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"" + resourceVersion + "\",\"continue\":\""
        + continueToken + "\"},\"items\":[" + items + "]}").getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void givenAListFetchedInPages_whenTheLastPageIsRecorded_thenItDoesNotReplaceTheListOrDropEarlierPages() {
    try (ObjectCache cache = DurableObjectCache.open(dir.resolve("objects.db"), CacheBudget.defaults());
         CacheWriter writer = new CacheWriter(cache)) {
      Recorder recorder = new Recorder(cache, writer, new Kinds(), ClientAllowlist.ALL);
      ApiRequest full = ApiRequest.parse("GET", "/api/v1/pods", Map.of());
      ApiRequest firstPage = ApiRequest.parse("GET", "/api/v1/pods", Map.of("limit", List.of("2")));
      ApiRequest lastPage = ApiRequest.parse("GET", "/api/v1/pods", Map.of("limit", List.of("2"),
          "continue", List.of("t1")));

      recorder.recordAnswer("kubelet", full, 200, podList("10", "", "a", "b", "c"));
      recorder.recordAnswer("kubelet", firstPage, 200, podList("11", "t1", "a", "b"));
      recorder.recordAnswer("kubelet", lastPage, 200, podList("11", "", "c"));
      await().atMost(Duration.ofSeconds(10)).until(() -> writer.writes() == 3);

      ListResult cached = cache.list(ListScope.of("kubelet", "/v1/pods", ObjectCache.ALL_NAMESPACES));
      ListResult.Found found = assertInstanceOf(ListResult.Found.class, cached);
      assertEquals("10", found.resourceVersion());
      assertEquals(List.of("a", "b", "c"), found.items().stream().map(i -> i.name()).sorted().toList());
    }
  }
}
