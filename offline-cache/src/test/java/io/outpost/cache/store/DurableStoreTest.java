package io.outpost.cache.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DurableStoreTest {

    @TempDir
    Path dir;

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(Optional<byte[]> value) {
        return value.map(v -> new String(v, StandardCharsets.UTF_8)).orElse(null);
    }

    @Test
    void givenValuesInSeveralMaps_whenStoreIsClosedAndReopened_thenEveryValueIsBack() {
        Path file = dir.resolve("hub.db");
        byte[] binary = new byte[70_000];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) (i * 31);
        }
        try (DurableStore store = DurableStore.open(file)) {
            store.map("clusters").put("edge-1", bytes("one"));
            store.map("clusters").put("edge-2", binary);
            store.map("clusters").put("", new byte[0]);
            store.map("tokens").put("edge-1", bytes("token"));
            store.map("users").put("zoë\u0000with-nul", bytes("odd key"));
        }

        try (DurableStore store = DurableStore.open(file)) {
            DurableMap clusters = store.map("clusters");
            assertEquals("one", text(clusters.get("edge-1")));
            assertArrayEquals(binary, clusters.get("edge-2").orElseThrow());
            assertArrayEquals(new byte[0], clusters.get("").orElseThrow());
            assertEquals(3, clusters.size());
            assertEquals("token", text(store.map("tokens").get("edge-1")));
            assertEquals("odd key", text(store.map("users").get("zoë\u0000with-nul")));
            assertEquals(Optional.empty(), store.map("never-written").get("x"));
        }
    }

    @Test
    void givenMapsWhoseNamesArePrefixesOfEachOther_whenWritten_thenTheirEntriesStaySeparate() {
        try (DurableStore store = DurableStore.open(dir.resolve("s.db"))) {
            store.map("a").put("k", bytes("a"));
            store.map("ab").put("k", bytes("ab"));
            store.map("a.b").put("k", bytes("a.b"));
            store.map("a-").put("k", bytes("a-"));

            assertEquals(Map.of("k", "a"), texts(store.map("a").snapshot()));
            assertEquals(1, store.map("ab").size());
            assertEquals(1, store.map("a.b").clear());
            assertEquals(0, store.map("a.b").size());
            assertEquals(1, store.map("a").size());
            assertEquals(1, store.map("a-").size());
        }
    }

    private static Map<String, String> texts(Map<String, byte[]> snapshot) {
        Map<String, String> result = new java.util.LinkedHashMap<>();
        snapshot.forEach((k, v) -> result.put(k, new String(v, StandardCharsets.UTF_8)));
        return result;
    }

    @Test
    void givenAMap_whenPutRemoveAndSnapshot_thenTheyBehaveLikeASortedMapOfCopies() {
        try (DurableStore store = DurableStore.open(dir.resolve("s.db"))) {
            DurableMap map = store.map("m");
            byte[] value = bytes("v1");
            map.put("b", value);
            value[0] = 'X'; // the store took a copy
            map.put("a", bytes("a"));
            map.put("c", bytes("c"));
            map.put("b", bytes("v2"));

            assertTrue(map.remove("c"));
            assertFalse(map.remove("c"));
            assertTrue(map.containsKey("a"));
            assertFalse(map.containsKey("c"));

            Map<String, byte[]> snapshot = map.snapshot();
            assertEquals(List.of("a", "b"), new ArrayList<>(snapshot.keySet()));
            assertEquals("v2", new String(snapshot.get("b"), StandardCharsets.UTF_8));
            assertThrows(UnsupportedOperationException.class, () -> snapshot.put("z", new byte[0]));
            map.get("a").orElseThrow()[0] = 'Z'; // callers get copies
            assertEquals("a", text(map.get("a")));

            List<String> seen = new ArrayList<>();
            map.forEach((k, v) -> seen.add(k + "=" + new String(v, StandardCharsets.UTF_8)));
            assertEquals(List.of("a=a", "b=v2"), seen);
        }
    }

    @Test
    void givenATransactionWhoseBodyThrows_whenItEnds_thenNothingItWroteIsVisibleNowOrAfterReopen() {
        Path file = dir.resolve("s.db");
        IllegalStateException boom = new IllegalStateException("boom");
        try (DurableStore store = DurableStore.open(file)) {
            DurableMap map = store.map("m");
            map.put("existing", bytes("before"));

            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> store.transaction(() -> {
                map.put("new-1", bytes("x"));
                store.map("other").put("new-2", bytes("y"));
                map.put("existing", bytes("changed"));
                assertTrue(map.remove("existing"));
                throw boom;
            }));

            assertSame(boom, thrown);
            assertEquals(Map.of("existing", "before"), texts(map.snapshot()));
            assertEquals(0, store.map("other").size());
        }
        try (DurableStore store = DurableStore.open(file)) {
            assertEquals(Map.of("existing", "before"), texts(store.map("m").snapshot()));
            assertEquals(0, store.map("other").size());
        }
    }

    @Test
    void givenATransactionThatCompletes_whenTheStoreIsReopened_thenAllItsWritesAreThereAndItsResultWasReturned() {
        Path file = dir.resolve("s.db");
        try (DurableStore store = DurableStore.open(file)) {
            int written = store.inTransaction(s -> {
                for (int i = 0; i < 100; i++) {
                    s.map("m").put("k" + i, bytes("v" + i));
                }
                assertEquals(100, s.map("m").size(), "a transaction sees its own writes");
                return 100;
            });
            assertEquals(100, written);
        }
        try (DurableStore store = DurableStore.open(file)) {
            assertEquals(100, store.map("m").size());
            assertEquals("v42", text(store.map("m").get("k42")));
        }
    }

    @Test
    void givenANestedTransactionThatFails_whenTheOuterBodySwallowsTheException_thenTheWholeTransactionIsRolledBack() {
        try (DurableStore store = DurableStore.open(dir.resolve("s.db"))) {
            DurableMap map = store.map("m");
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> store.transaction(() -> {
                map.put("outer", bytes("1"));
                try {
                    store.transaction(() -> {
                        map.put("inner", bytes("2"));
                        throw new IllegalArgumentException("inner failure");
                    });
                } catch (IllegalArgumentException expected) {
                    // swallowed on purpose
                }
            }));
            assertTrue(thrown.getMessage().contains("rolled back"), thrown.getMessage());
            assertEquals(0, map.size());

            map.put("after", bytes("3")); // the store is usable afterwards
            assertEquals(1, map.size());
        }
    }

    @Test
    void givenSeveralThreadsWritingAtOnce_whenTheyFinish_thenEveryWriteLandedAndSurvivesReopen() throws Exception {
        Path file = dir.resolve("s.db");
        int threads = 6;
        int perThread = 40; // every commit is an fsync'd MapDB commit (~10 ms here): keep the count modest
        try (DurableStore store = DurableStore.open(file)) {
            ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
            try {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    futures.add(pool.submit(() -> {
                        start.await();
                        DurableMap map = store.map("m");
                        for (int i = 0; i < perThread; i++) {
                            String key = "t" + thread + "-" + i;
                            if (i % 10 == 0) {
                                store.transaction(() -> {
                                    map.put(key, bytes(key));
                                    store.map("tx").put(key, bytes(key));
                                });
                            } else {
                                map.put(key, bytes(key));
                            }
                        }
                        return null;
                    }));
                }
                futures.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < 20; i++) {
                        store.map("m").snapshot().forEach((k, v) -> assertEquals(k, new String(v, StandardCharsets.UTF_8)));
                    }
                    return null;
                }));
                start.countDown();
                for (Future<?> f : futures) {
                    f.get(60, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(threads * perThread, store.map("m").size());
        }
        try (DurableStore store = DurableStore.open(file)) {
            DurableMap map = store.map("m");
            assertEquals(threads * perThread, map.size());
            for (int t = 0; t < threads; t++) {
                for (int i = 0; i < perThread; i++) {
                    String key = "t" + t + "-" + i;
                    assertEquals(key, text(map.get(key)));
                }
            }
            assertEquals(threads * (perThread / 10), store.map("tx").size());
        }
    }

    @Test
    void givenATransactionInProgress_whenAnotherThreadReads_thenItWaitsAndNeverSeesUncommittedData() throws Exception {
        try (DurableStore store = DurableStore.open(dir.resolve("s.db"))) {
            DurableMap map = store.map("m");
            CompletableFuture<Optional<byte[]>> reader = new CompletableFuture<>();
            assertThrows(IllegalStateException.class, () -> store.transaction(() -> {
                map.put("dirty", bytes("uncommitted"));
                Thread t = new Thread(() -> reader.complete(map.get("dirty")));
                t.start();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!store.hasWaitingThreads()) { // the reader is blocked behind this transaction
                    assertTrue(System.nanoTime() < deadline, "reader never blocked");
                    Thread.onSpinWait();
                }
                assertFalse(reader.isDone());
                throw new IllegalStateException("roll back");
            }));
            assertEquals(Optional.empty(), reader.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void givenAnInterruptedThread_whenItWrites_thenTheWriteSucceedsAndTheStoreStaysUsableForEveryone() throws Exception {
        Path file = dir.resolve("s.db");
        try (DurableStore store = DurableStore.open(file)) {
            DurableMap map = store.map("m");
            CompletableFuture<Boolean> stillInterrupted = new CompletableFuture<>();
            Thread writer = new Thread(() -> {
                Thread.currentThread().interrupt(); // e.g. an executor's shutdownNow() arriving mid-write
                try {
                    map.put("by-interrupted", bytes("1"));
                    store.transaction(() -> map.put("tx-by-interrupted", bytes("2")));
                    stillInterrupted.complete(Thread.currentThread().isInterrupted());
                } catch (Throwable t) {
                    stillInterrupted.completeExceptionally(t);
                }
            });
            writer.start();
            assertTrue(stillInterrupted.get(10, TimeUnit.SECONDS), "the interrupt flag is left for the caller");

            map.put("later", bytes("3")); // with a FileChannel volume this would fail: the interrupt closes it
        }
        try (DurableStore store = DurableStore.open(file)) {
            assertEquals(3, store.map("m").size());
        }
    }

    @Test
    void givenForEach_whenTheActionWrites_thenItIsRejectedInsteadOfDeadlockingUnlessInsideATransaction() {
        try (DurableStore store = DurableStore.open(dir.resolve("s.db"))) {
            DurableMap map = store.map("m");
            map.put("a", bytes("1"));

            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> map.forEach((k, v) -> map.put(k + "-copy", v)));
            assertTrue(e.getMessage().contains("snapshot()"), e.getMessage());

            store.transaction(() -> map.forEach((k, v) -> map.put(k + "-copy", v)));
            assertEquals(2, map.size());
        }
    }

    @Test
    void givenAnExceptionFromAForEachAction_whenItPropagates_thenItIsTheCallersOwnException() {
        try (DurableStore store = DurableStore.open(dir.resolve("s.db"))) {
            DurableMap map = store.map("m");
            map.put("a", bytes("1"));
            UnsupportedOperationException mine = new UnsupportedOperationException("mine");
            assertSame(mine, assertThrows(UnsupportedOperationException.class, () -> map.forEach((k, v) -> {
                throw mine;
            })));
        }
    }

    @Test
    void givenAClosedStore_whenClosedAgainOrUsed_thenCloseIsANoOpAndUseFailsClearly() {
        Path file = dir.resolve("s.db");
        DurableStore store = DurableStore.open(file);
        DurableMap map = store.map("m");
        map.put("a", bytes("1"));
        store.close();
        assertDoesNotThrow(store::close);
        assertTrue(store.isClosed());

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> map.get("a"));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> map.put("b", bytes("2")));
        assertThrows(IllegalStateException.class, () -> store.map("m"));

        try (DurableStore again = DurableStore.open(file)) { // lock and registry were released
            assertEquals("1", text(again.map("m").get("a")));
        }
    }

    @Test
    void givenAnInvalidMapName_whenRequested_thenIllegalArgumentExplainsTheRule() {
        try (DurableStore store = DurableStore.open(dir.resolve("s.db"))) {
            for (String bad : List.of("", ".hidden", "with space", "nul\u0000", "x".repeat(201))) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.map(bad));
                assertTrue(e.getMessage().contains("letters, digits"), e.getMessage());
            }
        }
    }

    @Test
    void givenADataDirectoryThatDoesNotExistYet_whenOpening_thenItIsCreated() {
        Path file = dir.resolve("a/b/c/store.db");
        try (DurableStore store = DurableStore.open(file)) {
            store.map("m").put("k", bytes("v"));
        }
        assertTrue(java.nio.file.Files.isRegularFile(file));
    }
}
