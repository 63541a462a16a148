package io.outpost.cache.objects;

import static io.outpost.cache.objects.Fixtures.CONFIGMAPS;
import static io.outpost.cache.objects.Fixtures.KUBELET;
import static io.outpost.cache.objects.Fixtures.configMap;
import static io.outpost.cache.objects.ObjectCache.ALL_NAMESPACES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The byte budget: per-client quotas, least-recently-used eviction of whole buckets (one client's
 * objects and lists of one resource), rejection of what cannot fit, and the counters. Sizes are
 * measured on a scratch cache first, so the tests do not depend on the exact entry layout.
 */
class DurableObjectCacheBudgetTest {

    private static final int BLOB = 1_000;

    @TempDir
    Path dir;

    /** The bytes a fresh cache holds after {@code writes}. */
    private long bytesAfter(Consumer<ObjectCache> writes) {
        try (ObjectCache scratch = DurableObjectCache.open(dir.resolve("scratch-" + System.nanoTime() + ".db"),
                CacheBudget.defaults())) {
            writes.accept(scratch);
            return scratch.stats().bytes();
        }
    }

    /** One config map of {@link #BLOB} characters, listed by {@code client}: one bucket. */
    private static void oneListedConfigMap(ObjectCache cache, String client, String resource) {
        cache.replaceList(client, resource, ALL_NAMESPACES, "1", List.of(configMap("default", "cm", BLOB)));
    }

    private static boolean holds(ObjectCache cache, String client, String resource) {
        return cache.get(client, resource, "default", "cm").isPresent();
    }

    @Test
    void givenACacheAtItsBudget_whenANewScopeIsWritten_thenTheLeastRecentlyReadScopeIsEvictedWhole() {
        long bucket = bytesAfter(c -> oneListedConfigMap(c, "app-a", CONFIGMAPS));
        CacheBudget budget = new CacheBudget(3 * bucket + bucket / 2, 3 * bucket + bucket / 2, Map.of());
        try (ObjectCache cache = DurableObjectCache.open(dir.resolve("objects.db"), budget)) {
            oneListedConfigMap(cache, "app-a", CONFIGMAPS);
            oneListedConfigMap(cache, "app-b", CONFIGMAPS);
            oneListedConfigMap(cache, "app-c", CONFIGMAPS);
            assertTrue(cache.list(ListScope.of("app-a", CONFIGMAPS, ALL_NAMESPACES)).found()); // app-a read: recent

            assertTrue(cache.recordObject("app-d", CONFIGMAPS, configMap("default", "cm", BLOB)));

            assertFalse(holds(cache, "app-b", CONFIGMAPS), "app-b was the least recently used");
            assertFalse(cache.list(ListScope.of("app-b", CONFIGMAPS, ALL_NAMESPACES)).found(), "its list went with it");
            assertTrue(holds(cache, "app-a", CONFIGMAPS) && holds(cache, "app-c", CONFIGMAPS) && holds(cache, "app-d", CONFIGMAPS));
            CacheStats stats = cache.stats();
            assertEquals(1, stats.evictions());
            assertEquals(1, stats.clients().get("app-b").evictions());
            assertEquals(0, stats.clients().get("app-b").bytes());
            assertTrue(stats.bytes() <= budget.maxBytes(), stats.toString());
        }
    }

    @Test
    void givenAClientOverItsQuota_whenItWritesMore_thenItsOwnOldestScopeGoesAndOtherClientsKeepTheirs() {
        long bucket = bytesAfter(c -> oneListedConfigMap(c, "noisy", "/v1/things1"));
        CacheBudget budget = CacheBudget.defaults().withClientQuota("noisy", 2 * bucket + bucket / 2);
        try (ObjectCache cache = DurableObjectCache.open(dir.resolve("objects.db"), budget)) {
            oneListedConfigMap(cache, KUBELET, "/v1/things0"); // the oldest bucket in the cache, never read again
            oneListedConfigMap(cache, "noisy", "/v1/things1");
            oneListedConfigMap(cache, "noisy", "/v1/things2");

            oneListedConfigMap(cache, "noisy", "/v1/things3");

            assertFalse(holds(cache, "noisy", "/v1/things1"));
            assertTrue(holds(cache, "noisy", "/v1/things2") && holds(cache, "noisy", "/v1/things3"));
            assertTrue(holds(cache, KUBELET, "/v1/things0"), "another client's data is not evicted for a client's quota");
            CacheStats.Client noisy = cache.stats().clients().get("noisy");
            assertEquals(1, noisy.evictions());
            assertEquals(2 * bucket, noisy.bytes());
            assertEquals(2 * bucket + bucket / 2, noisy.quotaBytes());
        }
    }

    @Test
    void givenAScopeThatAloneExceedsItsClientsQuota_whenWritten_thenTheWriteIsRejectedAndTheScopeDropped() {
        long bucket = bytesAfter(c -> oneListedConfigMap(c, KUBELET, CONFIGMAPS));
        CacheBudget budget = CacheBudget.defaults().withClientQuota(KUBELET, bucket + BLOB / 2);
        try (ObjectCache cache = DurableObjectCache.open(dir.resolve("objects.db"), budget)) {
            oneListedConfigMap(cache, KUBELET, CONFIGMAPS);

            boolean cached = cache.recordObject(KUBELET, CONFIGMAPS, configMap("default", "big", BLOB));

            assertFalse(cached);
            assertFalse(cache.list(ListScope.of(KUBELET, CONFIGMAPS, ALL_NAMESPACES)).found(),
                    "a list that would miss the new object must not be served");
            assertFalse(holds(cache, KUBELET, CONFIGMAPS));
            CacheStats.Client kubelet = cache.stats().clients().get(KUBELET);
            assertEquals(1, kubelet.rejectedWrites());
            assertEquals(0, kubelet.bytes());
            assertTrue(cache.recordObject(KUBELET, CONFIGMAPS, configMap("default", "small", 10)), "smaller writes fit again");
        }
    }

    @Test
    void givenReadsAndWrites_whenStatsAreTaken_thenHitsMissesBytesAndEntriesAreCountedPerClient() {
        try (ObjectCache cache = DurableObjectCache.open(dir.resolve("objects.db"), CacheBudget.defaults())) {
            oneListedConfigMap(cache, KUBELET, CONFIGMAPS);
            cache.recordObject(KUBELET, CONFIGMAPS, configMap("default", "cm2", 10));
            cache.recordObject("kube-proxy", "/v1/services", Fixtures.service("default", "dns", "3"));

            cache.get(KUBELET, CONFIGMAPS, "default", "cm");                                      // hit
            cache.get(KUBELET, CONFIGMAPS, "default", "absent");                                  // miss
            cache.list(ListScope.of(KUBELET, CONFIGMAPS, "default"));                             // hit
            cache.list(ListScope.of("kube-proxy", "/v1/services", ALL_NAMESPACES));               // miss: never listed

            CacheStats stats = cache.stats();
            CacheStats.Client kubelet = stats.clients().get(KUBELET);
            CacheStats.Client kubeProxy = stats.clients().get("kube-proxy");
            assertEquals(List.of(2L, 1L, 2L), List.of(kubelet.hits(), kubelet.misses(), kubelet.entries()));
            assertEquals(List.of(0L, 1L, 1L), List.of(kubeProxy.hits(), kubeProxy.misses(), kubeProxy.entries()));
            assertTrue(kubelet.bytes() > BLOB && kubeProxy.bytes() > 0, stats.toString());
            assertEquals(List.of(2L, 2L, 3L, kubelet.bytes() + kubeProxy.bytes()),
                    List.of(stats.hits(), stats.misses(), stats.entries(), stats.bytes()));
            assertEquals(CacheBudget.DEFAULT_MAX_BYTES, stats.maxBytes());
        }
    }

    @Test
    void givenObjectsDeletedAndReRecorded_whenStatsAreTaken_thenBytesFollowWhatIsHeld() {
        try (ObjectCache cache = DurableObjectCache.open(dir.resolve("objects.db"), CacheBudget.defaults())) {
            cache.recordObject(KUBELET, CONFIGMAPS, configMap("default", "a", 10));
            long one = cache.stats().bytes();
            cache.recordObject(KUBELET, CONFIGMAPS, configMap("default", "b", 10));
            long two = cache.stats().bytes();

            cache.recordObject(KUBELET, CONFIGMAPS, configMap("default", "b", 10)); // same resourceVersion again
            assertEquals(two, cache.stats().bytes());
            cache.deleteObject(KUBELET, CONFIGMAPS, "default", "b");
            assertEquals(one, cache.stats().bytes());
        }
    }

    @Test
    void givenAFullCache_whenReopenedWithASmallerBudget_thenTheLeastRecentlyWrittenScopesAreEvictedToFit() {
        long bucket = bytesAfter(c -> oneListedConfigMap(c, "app-a", CONFIGMAPS));
        Path file = dir.resolve("objects.db");
        try (ObjectCache cache = DurableObjectCache.open(file, CacheBudget.defaults())) {
            oneListedConfigMap(cache, "app-b", CONFIGMAPS);
            oneListedConfigMap(cache, "app-a", CONFIGMAPS);
            oneListedConfigMap(cache, "app-c", CONFIGMAPS);
        }

        try (ObjectCache cache = DurableObjectCache.open(file, CacheBudget.ofMaxBytes(2 * bucket + bucket / 2)
                .withDefaultClientQuota(2 * bucket + bucket / 2))) {
            assertFalse(holds(cache, "app-b", CONFIGMAPS), "app-b was written first, so it goes first after a restart too");
            assertTrue(holds(cache, "app-a", CONFIGMAPS) && holds(cache, "app-c", CONFIGMAPS));
            assertEquals(2 * bucket, cache.stats().bytes());
        }
    }
}
