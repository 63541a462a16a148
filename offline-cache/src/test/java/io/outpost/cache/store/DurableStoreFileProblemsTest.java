package io.outpost.cache.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.outpost.cache.WarningLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.Serializer;

class DurableStoreFileProblemsTest {

    private static final Duration CHILD_TIMEOUT = Duration.ofSeconds(15);

    @TempDir
    Path dir;

    private Path file;
    private final WarningLog log = new WarningLog(DurableStore.class);

    @BeforeEach
    void captureLog() {
        file = dir.resolve("hub.db");
        log.attach();
    }

    @AfterEach
    void releaseLog() {
        log.detach();
    }

    private List<String> warnings() {
        return log.warnings();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private List<Path> filesStartingWith(String prefix) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith(prefix)).sorted().toList();
        }
    }

    /** A closed store with a few hundred KB of data, so that a truncation cuts into live records. */
    private void createStoreWithData() {
        Random random = new Random(42);
        try (DurableStore store = DurableStore.open(file)) {
            store.transaction(() -> {
                for (int i = 0; i < 300; i++) {
                    byte[] value = new byte[500 + random.nextInt(3000)];
                    random.nextBytes(value);
                    store.map("clusters").put("edge-" + i, value);
                }
            });
            store.map("tokens").put("marker", markerValue());
        }
    }

    private static byte[] markerValue() {
        byte[] marker = new byte[256];
        Arrays.fill(marker, (byte) 0x5A);
        for (int i = 0; i < marker.length; i += 16) {
            marker[i] = (byte) 0xC3;
        }
        return marker;
    }

    // ---------------------------------------------------------------------------------------------
    // Locking

    @Test
    void givenAStoreOpenInThisProcess_whenOpenedAgain_thenStoreLockedNamesTheFileAndTheFirstKeepsItsLock() throws Exception {
        try (DurableStore first = DurableStore.open(file)) {
            StoreLockedException e = assertThrows(StoreLockedException.class, () -> DurableStore.open(file));
            assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
            assertTrue(e.getMessage().contains("already open in this process"), e.getMessage());
            assertEquals(file, e.file());
            assertEquals(ProcessHandle.current().pid(), e.holderPid().orElseThrow());

            StoreLockedException viaOtherPath = assertThrows(StoreLockedException.class,
                    () -> DurableStore.openOrReset(dir.resolve("sub/../hub.db")));
            assertTrue(viaOtherPath.getMessage().contains("hub.db"), viaOtherPath.getMessage());

            first.map("m").put("still", bytes("works"));
            // The failed attempts must not have dropped this process's OS-level lock:
            try (ChildJvm probe = ChildJvm.start(dir, "probe", file.toString())) {
                String line = probe.nextLine(CHILD_TIMEOUT);
                assertTrue(line.startsWith("LOCKED "), line);
                assertTrue(line.contains("pid " + ProcessHandle.current().pid()), line);
            }
        }
    }

    @Test
    void givenAnotherProcessHoldsTheStore_whenOpened_thenStoreLockedNamesFilePidAndWhatToDo() throws Exception {
        try (ChildJvm holder = ChildJvm.start(dir, "hold", file.toString())) {
            assertEquals("READY", holder.nextLine(CHILD_TIMEOUT));

            StoreLockedException e = assertThrows(StoreLockedException.class, () -> DurableStore.open(file));
            String message = e.getMessage();
            assertTrue(message.contains(file.toString()), message);
            assertTrue(message.contains("another process holds it"), message);
            assertTrue(message.contains("pid " + holder.pid()), message);
            assertTrue(message.contains("Stop the other outpost process using " + dir), message);
            assertTrue(message.contains("--data-dir"), message);
            assertEquals(holder.pid(), e.holderPid().orElseThrow());

            StoreLockedException reset = assertThrows(StoreLockedException.class, () -> DurableStore.openOrReset(file));
            assertTrue(reset.getMessage().contains("pid " + holder.pid()));
            assertEquals(List.of(), filesStartingWith("hub.db.corrupt"), "a locked file is never moved aside");

            holder.process().getOutputStream().close(); // tells the holder to close the store
            assertEquals("CLOSED", holder.nextLine(CHILD_TIMEOUT));
        }
        try (DurableStore store = DurableStore.open(file)) {
            assertTrue(store.map("held").containsKey("by"));
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Format versions

    private void setRecordedFormat(String version) {
        DB db = DBMaker.fileDB(file.toFile()).transactionEnable().fileChannelEnable().make();
        try {
            db.treeMap(DurableStore.META_MAP, Serializer.STRING, Serializer.STRING).open().put(DurableStore.FORMAT_KEY, version);
            db.commit();
        } finally {
            db.close();
        }
    }

    @Test
    void givenAFileWrittenInANewerFormatVersion_whenOpened_thenStoreFormatNamesTheFileAndBothVersions() {
        createStoreWithData();
        setRecordedFormat("2");

        StoreFormatException e = assertThrows(StoreFormatException.class, () -> DurableStore.open(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("format version 2"), e.getMessage());
        assertTrue(e.getMessage().contains("supports format version 1"), e.getMessage());
        assertEquals("2", e.foundVersion());
        assertEquals(1, e.supportedVersion());
        assertTrue(Files.exists(file), "plain open never moves files");
    }

    @Test
    void givenAFileInANewerFormatVersion_whenOpenOrReset_thenItIsMovedAsideAsUnsupportedAndAnEmptyStoreStarts() throws Exception {
        createStoreWithData();
        setRecordedFormat("2");
        long size = Files.size(file);

        try (DurableStore store = DurableStore.openOrReset(file)) {
            assertEquals(0, store.map("clusters").size());
            store.map("clusters").put("fresh", bytes("1"));
        }

        List<Path> moved = filesStartingWith("hub.db.unsupported-");
        assertEquals(1, moved.size(), "moved files: " + moved);
        assertEquals(size, Files.size(moved.get(0)));
        List<String> warnings = warnings();
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains(file.toString()) && warnings.get(0).contains(moved.get(0).toString())
                && warnings.get(0).contains("format 2"), warnings.get(0));
        try (DurableStore store = DurableStore.open(file)) {
            assertEquals(1, store.map("clusters").size());
        }
    }

    @Test
    void givenAMapDbFileWithoutOurFormatMarker_whenOpened_thenStoreFormatSaysNone() {
        DB db = DBMaker.fileDB(file.toFile()).transactionEnable().make();
        db.hashMap("something-else", Serializer.STRING, Serializer.STRING).create().put("a", "b");
        db.commit();
        db.close();

        StoreFormatException e = assertThrows(StoreFormatException.class, () -> DurableStore.open(file));
        assertEquals("none", e.foundVersion());
        assertTrue(e.getMessage().contains("something-else"), e.getMessage());
    }

    // ---------------------------------------------------------------------------------------------
    // Corruption

    enum Damage {
        TRUNCATED_TO_60_PERCENT, TRUNCATED_TO_20_BYTES, EMPTIED, OVERWRITTEN_WITH_GARBAGE, VALUE_BIT_FLIPPED;

        byte[] apply(byte[] content) {
            int used = content.length;
            while (used > 0 && content[used - 1] == 0) {
                used--; // MapDB preallocates: cut into the part that holds data
            }
            return switch (this) {
                case TRUNCATED_TO_60_PERCENT -> Arrays.copyOf(content, used * 6 / 10);
                case TRUNCATED_TO_20_BYTES -> Arrays.copyOf(content, 20);
                case EMPTIED -> new byte[0];
                case OVERWRITTEN_WITH_GARBAGE -> {
                    byte[] garbage = new byte[content.length];
                    new Random(7).nextBytes(garbage);
                    yield garbage;
                }
                case VALUE_BIT_FLIPPED -> flipMarker(content);
            };
        }

        /** Flips one bit in the middle of every stored copy of {@link #markerValue()}. */
        private static byte[] flipMarker(byte[] content) {
            byte[] marker = markerValue();
            byte[] damaged = content.clone();
            int flipped = 0;
            for (int i = 0; i + marker.length <= damaged.length; i++) {
                if (Arrays.equals(damaged, i, i + marker.length, marker, 0, marker.length)) {
                    damaged[i + 100] ^= 0x01;
                    flipped++;
                }
            }
            assertTrue(flipped > 0, "marker value not found in the file");
            return damaged;
        }
    }

    @ParameterizedTest
    @EnumSource(Damage.class)
    void givenADamagedFile_whenOpened_thenStoreCorruptNamesTheFileAndNothingIsServed(Damage damage) throws Exception {
        createStoreWithData();
        Files.write(file, damage.apply(Files.readAllBytes(file)));

        StoreCorruptException e = assertThrows(StoreCorruptException.class, () -> DurableStore.open(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertEquals(file, e.file());
        if (damage == Damage.VALUE_BIT_FLIPPED) {
            assertTrue(e.getMessage().contains("fails its checksum") && e.getMessage().contains("'marker'"), e.getMessage());
        }
        assertTrue(Files.exists(file), "plain open never moves files");
        try (DurableStore ignored = DurableStore.openOrReset(file)) {
            // the failed open released its locks: the file can be opened (and here reset) right away
        }
    }

    @ParameterizedTest
    @EnumSource(Damage.class)
    void givenADamagedFile_whenOpenOrReset_thenItIsMovedAsideWithOneWarningAndAnEmptyUsableStoreStarts(Damage damage)
            throws Exception {
        createStoreWithData();
        byte[] damaged = damage.apply(Files.readAllBytes(file));
        Files.write(file, damaged);

        try (DurableStore store = DurableStore.openOrReset(file)) {
            assertEquals(0, store.map("clusters").size());
            assertEquals(0, store.map("tokens").size());
            store.map("clusters").put("edge-new", bytes("fresh"));
        }

        List<Path> moved = filesStartingWith("hub.db.corrupt-");
        assertEquals(1, moved.size(), "moved files: " + moved);
        assertArrayEquals(damaged, Files.readAllBytes(moved.get(0)), "the bad file is kept as it was, for inspection");
        List<String> warnings = warnings();
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains(file.toString()) && warnings.get(0).contains(moved.get(0).toString())
                && warnings.get(0).contains("corrupt") && warnings.get(0).contains("empty store"), warnings.get(0));

        try (DurableStore store = DurableStore.open(file)) {
            assertEquals("fresh", new String(store.map("clusters").get("edge-new").orElseThrow(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void givenStaleMapDbWriteAheadLogFiles_whenOpened_thenTheyAreRemovedAndNeverReplayed() throws Exception {
        createStoreWithData();
        Files.write(dir.resolve("hub.db.wal.0"), new byte[]{1, 2, 3, 4}); // e.g. from plain MapDB or an older build
        Files.write(dir.resolve("hub.db.wal.1"), new byte[0]);

        try (DurableStore store = DurableStore.open(file)) {
            assertEquals(300, store.map("clusters").size());
            assertArrayEquals(markerValue(), store.map("tokens").get("marker").orElseThrow());
        }
        assertEquals(List.of(), filesStartingWith("hub.db.wal"));
        assertEquals(List.of(), warnings());
    }

    @Test
    void givenACompleteJournalNextToAMissingStoreFile_whenOpened_thenItIsMovedAsideInsteadOfReplayedIntoANewStore()
            throws Exception {
        Files.write(JournaledVolume.journalPath(file), new byte[]{9, 9, 9});

        try (DurableStore store = DurableStore.open(file)) {
            assertEquals(0, store.map("m").size());
        }
        assertEquals(1, filesStartingWith("hub.db.journal.orphan-").size());
        assertEquals(1, warnings().size(), warnings().toString());
    }

    @Test
    void givenAHealthyFile_whenOpenOrReset_thenItsDataIsKeptAndNothingIsMoved() throws Exception {
        createStoreWithData();
        try (DurableStore store = DurableStore.openOrReset(file)) {
            assertEquals(300, store.map("clusters").size());
            assertArrayEquals(markerValue(), store.map("tokens").get("marker").orElseThrow());
        }
        assertEquals(List.of(file, dir.resolve("hub.db.journal"), dir.resolve("hub.db.lock")), filesStartingWith("hub.db"));
        assertEquals(List.of(), warnings());
    }

    @Test
    void givenLeftoversOfAnInterruptedCreation_whenOpened_thenTheyAreDiscardedAndAStaleLogIsNotReplayed() throws Exception {
        Files.write(dir.resolve("hub.db.creating"), new byte[]{1, 2, 3});
        Files.write(dir.resolve("hub.db.wal.0"), new byte[]{4, 5, 6}); // a log without its store

        try (DurableStore store = DurableStore.open(file)) {
            assertEquals(0, store.map("m").size());
            store.map("m").put("k", bytes("v"));
        }
        assertFalse(Files.exists(dir.resolve("hub.db.creating")));
        assertEquals(1, filesStartingWith("hub.db.wal.0.orphan-").size());
        assertEquals(1, warnings().size(), warnings().toString());
    }

    // ---------------------------------------------------------------------------------------------
    // Directories

    @Test
    void givenAReadOnlyDataDirectory_whenOpened_thenAClearIoErrorNamesTheDirectory() throws Exception {
        Path readOnly = dir.resolve("read-only");
        Files.createDirectories(readOnly);
        Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            assumeFalse(Files.isWritable(readOnly), "Running as root (or with CAP_DAC_OVERRIDE): permission bits do not"
                    + " stop writes, so a read-only data directory cannot be simulated; skipped");

            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> DurableStore.open(readOnly.resolve("hub.db")));
            assertInstanceOf(AccessDeniedException.class, e.getCause());
            assertTrue(e.getMessage().contains(readOnly.toString()) && e.getMessage().contains("not writable"), e.getMessage());
        } finally {
            Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("rwx------"));
        }
    }

    @Test
    void givenADataDirectoryPathThatIsAFile_whenOpened_thenAClearIoErrorNamesIt() throws Exception {
        Path notADirectory = dir.resolve("data");
        Files.writeString(notADirectory, "oops");

        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> DurableStore.open(notADirectory.resolve("hub.db")));
        assertTrue(e.getMessage().contains(notADirectory.toString()) && e.getMessage().contains("not a directory"), e.getMessage());

        UncheckedIOException below = assertThrows(UncheckedIOException.class,
                () -> DurableStore.open(notADirectory.resolve("sub/hub.db")));
        assertTrue(below.getMessage().contains("Cannot create data directory " + notADirectory.resolve("sub")), below.getMessage());
    }
}
