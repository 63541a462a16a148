package io.outpost.cache.objects;

import static io.outpost.cache.objects.Fixtures.KUBELET;
import static io.outpost.cache.objects.Fixtures.NODES;
import static io.outpost.cache.objects.Fixtures.PODS;
import static io.outpost.cache.objects.Fixtures.bytes;
import static io.outpost.cache.objects.Fixtures.names;
import static io.outpost.cache.objects.Fixtures.pod;
import static io.outpost.cache.objects.ObjectCache.ALL_NAMESPACES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.outpost.cache.WarningLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.outpost.cache.store.DurableStore;
import io.outpost.cache.store.StoreLockedException;

/** The cache across restarts and with bad files: it keeps what was committed and never serves what it cannot read. */
class DurableObjectCacheFilesTest {

    private static final ListScope NODE_1_PODS = ListScope.of(KUBELET, PODS, ALL_NAMESPACES)
            .withFieldSelector(Selector.parseFields("spec.nodeName=node-1"));

    @TempDir
    Path dir;

    private Path file;
    private final WarningLog log = new WarningLog(DurableObjectCache.class);

    @BeforeEach
    void captureLog() {
        file = dir.resolve("objects.db");
        log.attach();
    }

    @AfterEach
    void releaseLog() {
        log.detach();
    }

    private List<String> warnings() {
        return log.warnings();
    }

    private void givenACacheWithTheKubeletsPods() {
        try (ObjectCache cache = DurableObjectCache.open(file, CacheBudget.defaults())) {
            cache.replaceList(NODE_1_PODS, "500", List.of(pod("default", "web-0").labels("app", "web").json(),
                    pod("kube-system", "coredns-1").labels("k8s-app", "kube-dns").json()));
        }
    }

    @Test
    void givenObjectsAndListsWithSelectors_whenTheCacheIsClosedAndReopened_thenEverythingIsServedAsBefore() {
        byte[] web = pod("default", "web-0").rv("501").labels("app", "web").json();
        CacheStats before;
        try (ObjectCache cache = DurableObjectCache.open(file, CacheBudget.defaults())) {
            cache.replaceList(NODE_1_PODS, "500", List.of(web, pod("default", "db-0").phase("Pending").json()));
            cache.replaceList(KUBELET, NODES, ALL_NAMESPACES, "70", List.of(Fixtures.node("node-1", "70")));
            cache.recordObject(KUBELET, "/v1/configmaps", Fixtures.configMap("default", "kube-root-ca.crt", 100));
            before = cache.stats();
        }

        try (ObjectCache cache = DurableObjectCache.open(file, CacheBudget.defaults())) {
            assertArrayEquals(web, cache.get(KUBELET, PODS, "default", "web-0").orElseThrow().json());
            assertEquals(List.of("default/web-0"), names(cache.list(NODE_1_PODS.withLabelSelector(Selector.parseLabels("app=web")))));
            assertEquals(List.of("default/db-0"), names(cache.list(KUBELET, PODS, "default", Selector.everything(),
                    Selector.parseFields("spec.nodeName=node-1,status.phase=Pending"))));
            assertEquals("500", ((ListResult.Found) cache.list(NODE_1_PODS)).resourceVersion());
            assertEquals(List.of("node-1"), names(cache.list(ListScope.of(KUBELET, NODES, ALL_NAMESPACES))));
            assertTrue(cache.get(KUBELET, "/v1/configmaps", "default", "kube-root-ca.crt").isPresent());
            assertFalse(cache.list(ListScope.of(KUBELET, PODS, ALL_NAMESPACES)).found(), "still only the node's pods");
            CacheStats after = cache.stats();
            assertEquals(List.of(before.bytes(), before.entries()), List.of(after.bytes(), after.entries()));
        }
    }

    @Test
    void givenCacheContentFromAnUnknownCacheFormat_whenOpened_thenItIsDiscardedWithOneWarningAndNothingIsServed() {
        givenACacheWithTheKubeletsPods();
        try (DurableStore store = DurableStore.open(file)) {
            store.map("objects.meta").put("format", bytes("2"));
        }

        try (ObjectCache cache = DurableObjectCache.open(file, CacheBudget.defaults())) {
            assertFalse(cache.list(NODE_1_PODS).found());
            assertTrue(cache.get(KUBELET, PODS, "default", "web-0").isEmpty());
            assertEquals(0, cache.stats().bytes());
            cache.recordObject(KUBELET, PODS, pod("default", "new").json());
        }

        List<String> warnings = warnings();
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains(file.toString()) && warnings.get(0).contains("cache format 2")
                && warnings.get(0).contains("this build reads format 1"), warnings.get(0));
        try (ObjectCache cache = DurableObjectCache.open(file, CacheBudget.defaults())) {
            assertTrue(cache.get(KUBELET, PODS, "default", "new").isPresent(), "the fresh cache is format 1 and kept");
        }
        assertEquals(1, warnings().size());
    }

    @Test
    void givenAnEntryThisBuildCannotDecode_whenOpened_thenTheContentIsDiscardedRatherThanPartlyServed() {
        givenACacheWithTheKubeletsPods();
        try (DurableStore store = DurableStore.open(file)) {
            store.map("objects.entries").put("kubelet\u0000/v1/pods\u0000o\u0000default\u0000web-9", new byte[] {9, 9, 9});
        }

        try (ObjectCache cache = DurableObjectCache.open(file, CacheBudget.defaults())) {
            assertFalse(cache.list(NODE_1_PODS).found());
            assertEquals(0, cache.stats().entries());
        }
        assertEquals(1, warnings().size(), warnings().toString());
        assertTrue(warnings().get(0).contains("an entry cannot be read (entry of version 9, expected 1)"), warnings().get(0));
    }

    @Test
    void givenATruncatedCacheFile_whenOpened_thenItIsMovedAsideAndTheCacheStartsEmpty() throws IOException {
        givenACacheWithTheKubeletsPods();
        byte[] content = Files.readAllBytes(file);
        int used = content.length;
        while (used > 0 && content[used - 1] == 0) {
            used--; // the store preallocates: cut into the part that holds data
        }
        Files.write(file, Arrays.copyOf(content, used * 6 / 10));

        try (ObjectCache cache = DurableObjectCache.open(file, CacheBudget.defaults())) {
            assertFalse(cache.list(NODE_1_PODS).found());
            assertTrue(cache.recordObject(KUBELET, PODS, pod("default", "web-0").json()));
        }

        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(1, files.filter(p -> p.getFileName().toString().startsWith("objects.db.corrupt-")).count());
        }
    }

    @Test
    void givenAnOpenCache_whenTheSameFileIsOpenedAgain_thenStoreLockedNamesTheFile() {
        try (ObjectCache first = DurableObjectCache.open(file, CacheBudget.defaults())) {
            StoreLockedException e = assertThrows(StoreLockedException.class,
                    () -> DurableObjectCache.open(file, CacheBudget.defaults()));

            assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
            assertTrue(first.recordObject(KUBELET, PODS, pod("default", "web-0").json()), "the first keeps working");
        }
    }

    @Test
    void givenAStoreOwnedByTheCaller_whenACacheIsAttachedAndClosed_thenTheStoreAndItsOtherMapsStayUsable() {
        try (DurableStore store = DurableStore.open(file)) {
            store.map("queue").put("m-1", bytes("telemetry"));

            try (ObjectCache cache = DurableObjectCache.attach(store, CacheBudget.defaults())) {
                cache.recordObject(KUBELET, PODS, pod("default", "web-0").json());
            }

            assertFalse(store.isClosed());
            assertEquals("telemetry", Fixtures.text(store.map("queue").get("m-1").orElseThrow()));
            try (ObjectCache again = DurableObjectCache.attach(store, CacheBudget.defaults())) {
                assertTrue(again.get(KUBELET, PODS, "default", "web-0").isPresent());
            }
        }
    }
}
