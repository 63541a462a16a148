package io.outpost.cache.objects;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kill -9 during cache writes: the cache reopens with every committed write and never a half relist. */
class DurableObjectCacheCrashTest {

    private static final int ROUNDS = 3;

    @TempDir
    Path dir;

    @Test
    void givenAProcessWritingTheCache_whenKilledWithSigkill_thenEveryCommittedWriteIsBackAndNoRelistIsHalfApplied()
            throws Exception {
        Path file = dir.resolve("objects.db");
        Random random = new Random(42);
        List<String> committedObjects = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            int lastListed = killAfter(file, "r" + round, 4 + random.nextInt(40), committedObjects);

            try (ObjectCache cache = DurableObjectCache.open(file, CacheBudget.defaults())) {
                for (String name : committedObjects) {
                    assertTrue(cache.get(Fixtures.KUBELET, Fixtures.CONFIGMAPS, "default", name).isPresent(), name);
                }
                ListResult.Found found = (ListResult.Found) cache.list(CacheChildMain.NODE_1_PODS);
                int generation = Integer.parseInt(found.resourceVersion().substring(1));
                assertTrue(generation == lastListed || generation == lastListed + 1,
                        "list generation " + generation + " after the child reported " + lastListed);
                assertEquals(CacheChildMain.generation(generation).size(), found.items().size());
                for (CachedObject pod : found.items()) {
                    assertEquals(found.resourceVersion(), pod.resourceVersion(), "a relist is all or nothing");
                }
            }
        }
    }

    /** Runs the child until it reported {@code lines} writes, kills it; returns the last relist it reported. */
    private int killAfter(Path file, String round, int lines, List<String> committedObjects) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path stderr = Files.createTempFile(dir, "child-", ".stderr");
        Process child = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                CacheChildMain.class.getName(), file.toString(), round).redirectError(stderr.toFile()).start();
        int lastListed = 0;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            for (int i = 0; i < lines; i++) {
                String line = out.readLine(); // blocks until the child writes; if it dies, null
                if (line == null) {
                    throw new AssertionError("child ended early; stderr:\n" + Files.readString(stderr));
                }
                if (line.startsWith("list ")) {
                    lastListed = Integer.parseInt(line.substring(5));
                } else {
                    committedObjects.add(line.substring(7));
                }
            }
        } finally {
            child.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no close()
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "child did not die");
        }
        return lastListed;
    }
}
