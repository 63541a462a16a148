package io.outpost.cache.objects;

import static io.outpost.cache.objects.Fixtures.KUBELET;
import static io.outpost.cache.objects.Fixtures.PODS;
import static io.outpost.cache.objects.Fixtures.pod;
import static io.outpost.cache.objects.ObjectCache.ALL_NAMESPACES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DurableObjectCacheConcurrencyTest {

    private static final int RELISTS = 40;

    @TempDir
    Path dir;

    /** Relist {@code generation}: 5 + generation % 7 pods on node-1, every one at the list's resourceVersion. */
    private static List<byte[]> generation(int generation) {
        List<byte[]> items = new ArrayList<>();
        for (int i = 0; i < 5 + generation % 7; i++) {
            items.add(pod("default", "pod-" + i).rv("g" + generation).json());
        }
        return items;
    }

    @Test
    void givenReadersDuringRelists_whenTheyList_thenEachAnswerIsOneWholeListNeverAMixOfTwo() throws Exception {
        ListScope node1 = ListScope.of(KUBELET, PODS, ALL_NAMESPACES).withFieldSelector(Selector.parseFields("spec.nodeName=node-1"));
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try (ObjectCache cache = DurableObjectCache.open(dir.resolve("objects.db"), CacheBudget.defaults())) {
            cache.replaceList(node1, "g0", generation(0));
            AtomicBoolean writing = new AtomicBoolean(true);
            Future<?> writer = threads.submit(() -> {
                try {
                    for (int g = 1; g <= RELISTS; g++) {
                        cache.replaceList(node1, "g" + g, generation(g));
                    }
                } finally {
                    writing.set(false);
                }
            });
            List<Future<Integer>> readers = new ArrayList<>();
            for (int r = 0; r < 3; r++) {
                readers.add(threads.submit(() -> {
                    int checked = 0;
                    do {
                        ListResult.Found found = (ListResult.Found) cache.list(node1);
                        int generation = Integer.parseInt(found.resourceVersion().substring(1));
                        assertEquals(5 + generation % 7, found.items().size(), found.toString());
                        for (CachedObject item : found.items()) {
                            assertEquals(found.resourceVersion(), item.resourceVersion());
                        }
                        checked++;
                    } while (writing.get());
                    return checked;
                }));
            }

            writer.get(60, TimeUnit.SECONDS);
            for (Future<Integer> reader : readers) {
                assertTrue(reader.get(60, TimeUnit.SECONDS) > 0);
            }
            assertEquals("g" + RELISTS, ((ListResult.Found) cache.list(node1)).resourceVersion());
        } finally {
            threads.shutdownNow();
            assertTrue(threads.awaitTermination(10, TimeUnit.SECONDS));
        }
    }
}
