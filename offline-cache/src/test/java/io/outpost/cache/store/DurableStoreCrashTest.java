package io.outpost.cache.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 in the middle of a commit loop, five times over the same file: the file must open every
 * time and hold every key the child had reported as committed.
 */
class DurableStoreCrashTest {

    private static final Duration LINE_TIMEOUT = Duration.ofSeconds(15);

    @TempDir
    Path dir;

    @Test
    void givenAChildProcessCommittingInALoop_whenItIsKilledWithSigkill_thenTheFileOpensAndEveryCommittedKeyIsPresent()
            throws Exception {
        Path file = dir.resolve("crash.db");
        List<String> committed = new ArrayList<>();
        // kill at different points of the loop; at ~100 commits/s plus ~1 s JVM start per round, ~10 s in all
        int[] linesBeforeKill = {20, 80, 40, 120, 60};

        for (int round = 0; round < linesBeforeKill.length; round++) {
            try (ChildJvm child = ChildJvm.start(dir, "writer", file.toString(), "r" + round)) {
                int seen = 0;
                while (seen < linesBeforeKill[round]) {
                    String line = child.nextLine(LINE_TIMEOUT);
                    if (line.startsWith("COMMITTED ")) {
                        committed.add(line.substring("COMMITTED ".length()));
                        seen++;
                    }
                }
                child.kill(); // Process.destroyForcibly(): SIGKILL, no shutdown hooks, no close()
            }

            Path snap = Path.of("/tmp/crashsnap/" + System.nanoTime() + "-r" + round);
            java.nio.file.Files.createDirectories(snap);
            try (var files = java.nio.file.Files.list(dir)) {
                for (Path x : files.filter(x -> x.getFileName().toString().startsWith("crash.db")).toList()) {
                    java.nio.file.Files.copy(x, snap.resolve(x.getFileName()));
                }
            }
            java.nio.file.Files.write(snap.resolve("committed.txt"), committed);
            try (DurableStore store = DurableStore.open(file)) {
                DurableMap keys = store.map("keys");
                List<String> missing = new ArrayList<>();
                for (String key : committed) {
                    Optional<byte[]> value = keys.get(key);
                    if (value.isEmpty()) {
                        missing.add(key);
                    } else {
                        assertArrayEquals(StoreChildMain.valueFor(key), value.get(), "value of " + key);
                    }
                }
                if (!missing.isEmpty()) {
                    fail("round " + round + ": " + missing.size() + " of " + committed.size()
                            + " committed keys lost after kill -9, e.g. " + missing.subList(0, Math.min(5, missing.size())));
                }
                assertTrue(keys.size() >= committed.size());
                store.map("scratch").snapshot(); // reading everything works (open already verified checksums)
            }
        }
        assertEquals(java.util.Arrays.stream(linesBeforeKill).sum(), committed.size());
    }
}
