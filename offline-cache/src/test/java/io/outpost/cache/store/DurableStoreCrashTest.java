package io.outpost.cache.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Process death at any point of a commit: the file must open and hold every committed entry, and a
 * transaction is all or nothing. MapDB 3.1 alone fails the deterministic cases below (a torn main
 * file: lost entries or ArrayIndexOutOfBoundsException); {@link JournaledVolume} is what passes them.
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
        int[] linesBeforeKill = {15, 60, 30, 90, 45};

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

    @ParameterizedTest(name = "halt at {0} after {1} page(s), journal truncated: {2}")
    @CsvSource({
            "journal-written, 0, false",
            "page-applied, 1, false",
            "page-applied, 2, false",
            "journal-written, 0, true",
    })
    void givenAProcessThatDiesWhileACommitIsWrittenToTheFile_whenReopened_thenTheTransactionIsAllOrNothingAndEarlierCommitsIntact(
            String point, int pagesApplied, boolean truncateJournal) throws Exception {
        Path file = dir.resolve("torn.db");
        List<String> committed = new ArrayList<>();
        try (ChildJvm child = ChildJvm.start(dir, "torn", file.toString(), point, Integer.toString(pagesApplied))) {
            for (String line; !(line = child.nextLine(LINE_TIMEOUT)).startsWith("HALTING"); ) {
                assertFalse(line.equals("COMPLETED"), "the commit never reached " + point + " " + pagesApplied);
                committed.add(line.substring("COMMITTED ".length()));
            }
            assertEquals(137, child.process().waitFor());
        }
        Path journal = JournaledVolume.journalPath(file);
        assertTrue(Files.size(journal) > 0, "the halted commit left its journal");
        if (truncateJournal) { // as if the crash came before the journal was complete on disk
            try (var raf = new java.io.RandomAccessFile(journal.toFile(), "rw")) {
                raf.setLength(raf.length() - 100);
            }
        }

        try (DurableStore store = DurableStore.open(file)) {
            DurableMap map = store.map("torn");
            assertEquals(50, committed.size());
            for (String key : committed.subList(2, committed.size())) {
                assertArrayEquals(StoreChildMain.valueFor(key), map.get(key).orElseThrow(), key);
            }
            boolean transactionApplied = map.containsKey("tx-0");
            for (int i = 0; i < 30; i++) {
                assertEquals(transactionApplied, map.containsKey("tx-" + i), "tx-" + i + ": all or nothing");
            }
            assertEquals(!transactionApplied, map.containsKey("base-1"));
            assertArrayEquals(StoreChildMain.valueFor(transactionApplied ? "rewritten" : "base-0"), map.get("base-0").orElseThrow());
            // a complete journal finishes the commit; an incomplete one means it never touched the file
            assertEquals(!truncateJournal, transactionApplied);
            assertEquals(transactionApplied ? 50 - 1 + 30 : 50, map.size());
        }
        assertEquals(0, Files.size(journal), "recovery empties the journal");
    }
}
