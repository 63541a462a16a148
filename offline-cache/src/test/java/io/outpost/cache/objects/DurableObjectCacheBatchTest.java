package io.outpost.cache.objects;

import static io.outpost.cache.objects.Fixtures.KUBELET;
import static io.outpost.cache.objects.Fixtures.PODS;
import static io.outpost.cache.objects.Fixtures.pod;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Group commit: many writes, one transaction; all of them durable together, or none. */
class DurableObjectCacheBatchTest {

    @TempDir
    Path dir;

    @Test
    void aBatchOfWritesIsDurableTogether() {
        Path file = dir.resolve("objects.db");
        try (ObjectCache cache = DurableObjectCache.open(file, CacheBudget.defaults())) {
            cache.batch(() -> {
                for (int i = 0; i < 200; i++) {
                    cache.recordObject(KUBELET, PODS, pod("default", "web-" + i).on("node-1").json());
                }
                cache.deleteObject(KUBELET, PODS, "default", "web-0");
            });
            assertEquals(199, cache.stats().entries());
        }
        try (ObjectCache reopened = DurableObjectCache.open(file, CacheBudget.defaults())) {
            assertEquals(199, reopened.stats().entries());
            assertTrue(reopened.get(KUBELET, PODS, "default", "web-199").isPresent());
            assertTrue(reopened.get(KUBELET, PODS, "default", "web-0").isEmpty());
        }
    }

    @Test
    void aBatchThatFailsLeavesNeitherFileNorIndexChanged() {
        try (ObjectCache cache = DurableObjectCache.open(dir.resolve("objects.db"), CacheBudget.defaults())) {
            cache.recordObject(KUBELET, PODS, pod("default", "kept").on("node-1").json());
            IllegalStateException failure = assertThrows(IllegalStateException.class, () -> cache.batch(() -> {
                cache.recordObject(KUBELET, PODS, pod("default", "lost").on("node-1").json());
                throw new IllegalStateException("disk full");
            }));
            assertEquals("disk full", failure.getMessage());
            assertTrue(cache.get(KUBELET, PODS, "default", "lost").isEmpty());
            assertTrue(cache.get(KUBELET, PODS, "default", "kept").isPresent());
            assertEquals(1, cache.stats().entries());
        }
    }
}
