package io.outpost.agent.nodeproxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.outpost.cache.objects.CacheBudget;
import io.outpost.cache.objects.DurableObjectCache;
import io.outpost.cache.objects.ObjectCache;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Group commit of watch events into a real cache file, and the client allowlist. */
class CacheWriterTest {

  private static final String CONFIGMAPS = "/v1/configmaps";

  @TempDir
  Path dir;

  private static byte[] configMap(int i) {
    return ("{\"metadata\":{\"name\":\"cm-" + i + "\",\"namespace\":\"default\",\"resourceVersion\":\"" + i
        + "\"},\"data\":{\"i\":\"" + i + "\"}}").getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void givenABurstOfWatchEvents_whenWritten_thenFarFewerCommitsThanEventsAndAllAreDurableUpToTheWatermark() {
    Path file = dir.resolve("objects.db");
    int events = 3000;
    try (ObjectCache cache = DurableObjectCache.open(file, CacheBudget.defaults());
         CacheWriter writer = new CacheWriter(cache)) {
      for (int i = 1; i <= events; i++) {
        byte[] json = configMap(i);
        writer.submitEvent("kubelet", CONFIGMAPS, Integer.toString(i), json.length, "ADDED cm-" + i,
            () -> cache.recordObject("kubelet", CONFIGMAPS, json));
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> writer.writes() == events);

      assertEquals(Map.of("kubelet " + CONFIGMAPS, (long) events), writer.committedWatermarks());
      assertTrue(writer.batches() < events / 10, "commits: " + writer.batches() + " for " + events + " events");
      assertEquals(0, writer.dropped());
    }
    try (ObjectCache reopened = DurableObjectCache.open(file, CacheBudget.defaults())) {
      assertEquals(events, reopened.stats().entries());
      assertEquals(Integer.toString(events), reopened.get("kubelet", CONFIGMAPS, "default", "cm-" + events)
          .orElseThrow().resourceVersion());
    }
  }

  @Test
  void givenAWriteWithBadJson_whenBatchedWithGoodOnes_thenOnlyItIsSkipped() {
    try (ObjectCache cache = DurableObjectCache.open(dir.resolve("objects.db"), CacheBudget.defaults());
         CacheWriter writer = new CacheWriter(cache)) {
      writer.submit("good", 100, () -> cache.recordObject("kubelet", CONFIGMAPS, configMap(1)));
      writer.submit("bad", 8, () -> cache.recordObject("kubelet", CONFIGMAPS, "not json".getBytes(StandardCharsets.UTF_8)));
      writer.submit("good too", 100, () -> cache.recordObject("kubelet", CONFIGMAPS, configMap(2)));
      await().atMost(Duration.ofSeconds(10)).until(() -> writer.writes() + writer.failed() >= 3);

      assertEquals(1, writer.failed());
      assertEquals(2, writer.writes());
      assertEquals(2, cache.stats().entries());
    }
  }

  @Test
  void givenAnAllowlist_whenClientsAreChecked_thenOnlyNamedOnesAreCachedAndEmptyMeansAll() {
    ClientAllowlist some = ClientAllowlist.of(List.of("kubelet", " kube-proxy ", ""));
    assertTrue(some.caches("kubelet"));
    assertTrue(some.caches("kube-proxy"));
    assertFalse(some.caches("calico-node"));
    assertEquals("kube-proxy,kubelet", some.toString());
    assertTrue(ClientAllowlist.of(List.of()).caches("anyone"));
    assertEquals("all clients", ClientAllowlist.ALL.toString());
  }
}
