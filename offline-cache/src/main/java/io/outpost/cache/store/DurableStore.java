package io.outpost.cache.store;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

import org.mapdb.BTreeMap;
import org.mapdb.CC;
import org.mapdb.DB;
import org.mapdb.DBException;
import org.mapdb.Serializer;
import org.mapdb.StoreWAL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small durable key-value store in one file: named maps of {@code String -> byte[]}, every write
 * committed to disk before it returns, crash-safe (a {@code kill -9} loses nothing that was
 * committed), one writer process per file. The storage engine (MapDB 3.1) stays behind this class.
 *
 * <pre>{@code
 * try (DurableStore store = DurableStore.openOrReset(dataDir.resolve("hub.db"))) {
 *     DurableMap clusters = store.map("clusters");
 *     clusters.put("edge-17", json);                        // durable when put() returns
 *     Optional<byte[]> edge = clusters.get("edge-17");
 *
 *     store.transaction(() -> {                             // all or nothing, one commit
 *         store.map("tokens").remove(tokenId);
 *         clusters.put("edge-17", registeredJson);
 *     });
 *     int n = store.inTransaction(s -> s.map("users").size());
 * } catch (StoreLockedException e) {
 *     // another process (e.holderPid()) uses the data dir: stop it or choose another --data-dir
 * }
 * }</pre>
 *
 * <h2>Opening</h2>
 * <ul>
 *   <li>{@link #open(Path)} creates the file (and its directory) if missing. It throws
 *       {@link StoreLockedException} when another process or another {@code DurableStore} in this
 *       process has the file open, {@link StoreFormatException} for a file written in a format
 *       version this build does not know, {@link StoreCorruptException} for a truncated, overwritten
 *       or checksum-failing file, and {@link UncheckedIOException} (e.g. wrapping
 *       {@link AccessDeniedException}) naming the directory or file when it cannot be written.</li>
 *   <li>{@link #openOrReset(Path)} is the same, except that on the format and corruption errors it
 *       moves the file aside as {@code FILE.unsupported-<timestamp>} or {@code FILE.corrupt-<timestamp>}
 *       (with its write-ahead-log files), logs one WARN line and starts with an empty store. It never
 *       moves a locked file and never serves data from a bad one.</li>
 *   <li>By default opening reads every entry once and checks its checksum, so that corruption is
 *       found at startup rather than in the middle of serving; see {@link Options#verifyOnOpen(boolean)}.</li>
 * </ul>
 *
 * <h2>Writes, transactions, threads</h2>
 * All methods are thread-safe. A write outside a transaction is committed (fsync) before it returns.
 * {@link #transaction(Runnable)} and {@link #inTransaction(Function)} run their body with exclusive
 * access to the store and commit once at the end; if the body throws, everything it wrote is rolled
 * back and the exception is rethrown. Transactions nest by joining the outer one; if a nested body
 * throws, the whole outer transaction is rolled back even if the outer body catches the exception.
 * Readers in other threads wait while a transaction runs, so they never see uncommitted data: keep
 * transaction bodies short and free of network calls.
 *
 * <h2>Files</h2>
 * Next to {@code FILE}: {@code FILE.journal} (the redo journal that makes each commit atomic, see
 * {@code JournaledVolume}; empty between commits, replayed on open after a crash; it belongs to the
 * store) and {@code FILE.lock} (owner pid; emptied on close, never deleted). To back up, copy
 * {@code FILE} while no process has it open, or from another process between commits. Do not open,
 * copy or read {@code FILE} from inside the process that has it open: on Linux, closing any
 * descriptor of a file drops the process's locks on it.
 *
 * <h2>Format version 1</h2>
 * A MapDB 3.1 {@code StoreWAL} file with a tree map {@code outpost.meta} (String to String, holding
 * {@code format=1}) and a tree map {@code outpost.data} (String to byte[], values stored outside the
 * nodes) whose keys are {@code mapName + '\0' + key} and whose values are a 4-byte big-endian CRC32C
 * of (UTF-8 key bytes, value) followed by the value. MapDB itself has no checksums on records: a
 * flipped bit in a value is returned as is, hence our own.
 */
public final class DurableStore implements AutoCloseable {

    /** The format version this build reads and writes. */
    public static final int FORMAT_VERSION = 1;

    static final String META_MAP = "outpost.meta";
    static final String DATA_MAP = "outpost.data";
    static final String FORMAT_KEY = "format";

    private static final char SEPARATOR = '\u0000';
    private static final Pattern MAP_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,199}");
    private static final DateTimeFormatter MOVED_ASIDE_STAMP =
            DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final Logger LOG = LoggerFactory.getLogger(DurableStore.class);

    /**
     * Store files open in this class loader (real paths). Checked before any file is opened: see
     * {@link LockFile} for why a same-process second open must not even open the files.
     */
    private static final Set<Path> OPEN_IN_THIS_PROCESS = ConcurrentHashMap.newKeySet();

    private final Path file;
    private final Path registryKey;
    private final LockFile lockFile;
    private final DB db;
    private final BTreeMap<String, byte[]> data;
    private final ConcurrentHashMap<String, MapView> maps = new ConcurrentHashMap<>();
    private final ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
    /** Guarded by the write lock. */
    private int transactionDepth;
    /** Guarded by the write lock. */
    private boolean rollbackOnly;
    private volatile boolean closed;

    private DurableStore(Path file, Path registryKey, LockFile lockFile, DB db, BTreeMap<String, byte[]> data) {
        this.file = file;
        this.registryKey = registryKey;
        this.lockFile = lockFile;
        this.db = db;
        this.data = data;
    }

    // ------------------------------------------------------------------------------------------
    // Opening

    /** Opens (creating if missing) the store in {@code file}, with default {@link Options}. */
    public static DurableStore open(Path file) {
        return options().open(file);
    }

    /**
     * Like {@link #open(Path)}, but a corrupt file or one in an unknown format version is moved aside
     * (see class documentation) and an empty store is started instead.
     */
    public static DurableStore openOrReset(Path file) {
        return options().openOrReset(file);
    }

    /** Options for opening a store. */
    public static Options options() {
        return new Options();
    }

    /** Opening options; a mutable builder, not thread-safe. */
    public static final class Options {
        private boolean verifyOnOpen = true;

        private Options() {
        }

        /**
         * Whether opening reads every entry once and checks its checksum (default {@code true}). Costs
         * one pass over the file; turn it off only for stores too large for that, in which case
         * corruption surfaces as {@link StoreCorruptException} from the read that hits it.
         */
        public Options verifyOnOpen(boolean verify) {
            this.verifyOnOpen = verify;
            return this;
        }

        /** See {@link DurableStore#open(Path)}. */
        public DurableStore open(Path file) {
            return DurableStore.open(file, this, false);
        }

        /** See {@link DurableStore#openOrReset(Path)}. */
        public DurableStore openOrReset(Path file) {
            return DurableStore.open(file, this, true);
        }
    }

    private static DurableStore open(Path requested, Options options, boolean resetBadFile) {
        Objects.requireNonNull(requested, "file");
        Path file = requested.toAbsolutePath().normalize();
        Path dir = file.getParent();
        if (dir == null || file.getFileName() == null) {
            throw new IllegalArgumentException("Not a store file path: " + requested);
        }
        prepareDirectory(dir, file);
        Path registryKey = registryKey(dir, file);
        if (!OPEN_IN_THIS_PROCESS.add(registryKey)) {
            throw lockedInThisProcess(file, null);
        }
        try {
            LockFile lockFile = LockFile.acquire(file);
            try {
                return openLocked(file, registryKey, lockFile, options, resetBadFile);
            } catch (RuntimeException | Error e) {
                lockFile.release();
                throw e;
            }
        } catch (RuntimeException | Error e) {
            OPEN_IN_THIS_PROCESS.remove(registryKey);
            throw e;
        }
    }

    private static DurableStore openLocked(Path file, Path registryKey, LockFile lockFile, Options options,
                                           boolean resetBadFile) {
        if (!Files.exists(file)) {
            createNew(file);
        } else {
            recoverInterruptedCommit(file);
        }
        try {
            return openExisting(file, registryKey, lockFile, options);
        } catch (StoreCorruptException | StoreFormatException e) {
            if (!resetBadFile) {
                throw e;
            }
            moveAside(file, e);
            createNew(file);
            return openExisting(file, registryKey, lockFile, options);
        }
    }

    private static DB makeDb(Path file) {
        // What DBMaker.fileDB(file).transactionEnable().fileLockDisable().make() builds, except for the
        // volumes, which come from JournaledVolume.Factory:
        // - StoreWAL (MapDB's "transactions"): changes stay in memory until commit, rollback works.
        //   Without it a kill -9 during a write leaves the file unopenable ("Header checksum broken").
        // - but StoreWAL alone is NOT crash-safe in MapDB 3.1: it never replays its write-ahead log on
        //   open, so a kill while commit() copies changes into the main file tears the file (lost
        //   entries, ArrayIndexOutOfBoundsException). JournaledVolume makes that copy atomic with a
        //   redo journal (see there); MapDB's own log then only needs to live in memory.
        // - the main file is read and written through RandomAccessFile, deliberately not FileChannel or
        //   mmap. FileChannel is interruptible: one Thread.interrupt() during a write (an executor's
        //   shutdownNow(), a cancelled request) closes the channel for every thread, and the store
        //   stays dead (VolumeClosed) until reopened; we verified that with MapDB 3.1. mmap turns I/O
        //   errors and a file truncated underneath the mapping into SIGBUS/InternalError that can take
        //   down the JVM, keeps files mapped until GC and needs address space. RandomAccessFile ignores
        //   interrupts and reports every failure as an IOException; the commit fsyncs dominate anyway.
        // - no MapDB file lock (fileLockWait -1): FILE.lock (LockFile) is the lock, taken before this
        //   runs. MapDB's own lock leaks with the file handle when opening a bad file fails (MapDB does
        //   not close it), and the leaked lock made every later open of that file in this process fail
        //   with FileLocked until a GC happened to close the handle.
        JournaledVolume.Factory volumes = new JournaledVolume.Factory(file);
        boolean exists = volumes.exists(file.toString());
        try {
            StoreWAL store = new StoreWAL(file.toString(), volumes,
                    -1L,                            // fileLockWait: no MapDB lock
                    true,                           // isThreadSafe
                    CC.STORE_DIRECT_CONC_SHIFT,     // concShift, DBMaker's default
                    CC.PAGE_SIZE,                   // allocateIncrement, DBMaker's default
                    0L,                             // allocateStartSize
                    false, false,                   // fileDeleteAfterClose, fileDeleteAfterOpen
                    false,                          // checksum (StoreWAL does not support it)
                    true,                           // checksumHeader
                    false);                         // checksumHeaderBypass
            return new DB(store, exists, true, DB.class.getClassLoader(), 0);
        } catch (RuntimeException | Error e) {
            volumes.closeAll(); // MapDB does not close its volumes when opening fails
            throw e;
        }
    }

    private static BTreeMap<String, byte[]> dataMap(DB db, boolean create) {
        DB.TreeMapMaker<String, byte[]> maker = db.treeMap(DATA_MAP, Serializer.STRING, Serializer.BYTE_ARRAY)
                .valuesOutsideNodesEnable(); // values up to ~1 MB: keep them out of the B-tree nodes
        return create ? maker.create() : maker.open();
    }

    private static BTreeMap<String, String> metaMap(DB db, boolean create) {
        DB.TreeMapMaker<String, String> maker = db.treeMap(META_MAP, Serializer.STRING, Serializer.STRING);
        return create ? maker.create() : maker.open();
    }

    private static void recoverInterruptedCommit(Path file) {
        Path journal = JournaledVolume.journalPath(file);
        try {
            switch (JournaledVolume.recover(file, journal)) {
                case REPLAYED -> LOG.info("Store file {}: completed a commit that a crash had interrupted (from {})", file, journal);
                case DISCARDED_INCOMPLETE -> LOG.info("Store file {}: discarded the incomplete journal {} of a commit"
                        + " that a crash interrupted before it touched the file", file, journal);
                case NOTHING -> { }
            }
            // Left by MapDB's on-disk log (files written before JournaledVolume, or by plain MapDB).
            // MapDB 3.1 never reads them back, and ours lives in memory: they are dead weight.
            for (Path wal : walFiles(file)) {
                Files.deleteIfExists(wal);
                LOG.info("Store file {}: removed stale MapDB write-ahead-log file {} (never read by MapDB 3.1)", file, wal);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(new IOException("Cannot recover store file " + file + " from its journal "
                    + journal + ": " + e, e));
        }
    }

    /**
     * Creates and initialises the store under a temporary name, then renames it into place, so that
     * {@code file} existing always means a complete, formatted store (a crash during creation leaves
     * only {@code FILE.creating}, which is discarded on the next open).
     */
    private static void createNew(Path file) {
        moveAsideOrphanWal(file);
        Path temp = file.resolveSibling(file.getFileName() + ".creating");
        try {
            deleteWithWal(temp);
            DB db;
            try {
                db = makeDb(temp);
            } catch (RuntimeException e) {
                throw translate(temp, e);
            }
            try {
                BTreeMap<String, String> meta = metaMap(db, true);
                dataMap(db, true);
                meta.put(FORMAT_KEY, Integer.toString(FORMAT_VERSION));
                meta.put("created", Instant.now().toString());
                db.commit();
            } catch (RuntimeException e) {
                throw translate(temp, e);
            } finally {
                closeQuietly(db);
            }
            for (Path wal : walFiles(temp)) {
                Files.deleteIfExists(wal); // none after a clean close; never replay them into the real file
            }
            Files.deleteIfExists(JournaledVolume.journalPath(temp)); // empty after the clean close
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
            syncDirectory(file.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException(new IOException("Cannot create store file " + file + ": " + e, e));
        }
    }

    private static DurableStore openExisting(Path file, Path registryKey, LockFile lockFile, Options options) {
        DB db;
        try {
            db = makeDb(file);
        } catch (RuntimeException e) {
            throw classifyOpenFailure(file, e);
        }
        try {
            long started = System.nanoTime();
            Set<String> names = new java.util.TreeSet<>();
            db.getAllNames().forEach(names::add);
            if (!names.contains(META_MAP)) {
                throw new StoreFormatException(file, "none", FORMAT_VERSION,
                        "a MapDB file without an Outpost format marker, holding " + names);
            }
            String recorded = metaMap(db, false).get(FORMAT_KEY);
            if (recorded == null) {
                throw new StoreCorruptException(file, "the format marker is missing from " + META_MAP);
            }
            if (!recorded.trim().equals(Integer.toString(FORMAT_VERSION))) {
                throw new StoreFormatException(file, recorded.trim(), FORMAT_VERSION,
                        isNewer(recorded) ? "written by a newer Outpost release" : "unknown format marker");
            }
            if (!names.contains(DATA_MAP)) {
                throw new StoreCorruptException(file, "the data map " + DATA_MAP + " is missing");
            }
            BTreeMap<String, byte[]> data = dataMap(db, false);
            long entries = options.verifyOnOpen ? verifyAll(file, data) : -1;
            LOG.info("Opened store {} (format {}{}, {} ms)", file, FORMAT_VERSION,
                    entries < 0 ? ", not verified" : ", " + entries + " entries verified",
                    (System.nanoTime() - started) / 1_000_000);
            return new DurableStore(file, registryKey, lockFile, db, data);
        } catch (StoreException e) {
            closeQuietly(db);
            throw e;
        } catch (RuntimeException e) {
            closeQuietly(db);
            throw classifyOpenFailure(file, e);
        }
    }

    private static boolean isNewer(String recorded) {
        try {
            return Integer.parseInt(recorded.trim()) > FORMAT_VERSION;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** Reads every entry and checks key shape and value checksum. Returns the number of entries. */
    private static long verifyAll(Path file, BTreeMap<String, byte[]> data) {
        long count = 0;
        for (Map.Entry<String, byte[]> entry : data.entrySet()) {
            String compositeKey = entry.getKey();
            int separator = compositeKey == null ? -1 : compositeKey.indexOf(SEPARATOR);
            if (separator <= 0 || !MAP_NAME.matcher(compositeKey.substring(0, separator)).matches()) {
                throw new StoreCorruptException(file, "malformed key in " + DATA_MAP);
            }
            decode(file, compositeKey, entry.getValue());
            count++;
        }
        return count;
    }

    /**
     * Sorts a failure while opening an existing file into: lock, environment (I/O, interrupt, memory:
     * rethrown, the file is not blamed) and corruption (everything else: garbage makes MapDB throw
     * anything from EOF to IndexOutOfBoundsException).
     */
    private static RuntimeException classifyOpenFailure(Path file, RuntimeException e) {
        if (e instanceof StoreException) {
            return e;
        }
        if (e instanceof DBException.FileLocked) {
            return new StoreLockedException(file, null, "Store file " + file + " is locked by another process"
                    + " (it does not use " + LockFile.pathFor(file).getFileName() + "). Stop the other outpost process using "
                    + file.getParent() + " or choose another --data-dir.", e);
        }
        if (e instanceof DBException.NewMapDBFormat) {
            return new StoreFormatException(file, "unknown", FORMAT_VERSION,
                    "the storage engine reports features newer than MapDB 3.1: " + e.getMessage());
        }
        if (Thread.currentThread().isInterrupted()
                || e instanceof DBException.Interrupted
                || e instanceof DBException.VolumeClosedByInterrupt
                || e instanceof DBException.OutOfMemory
                || e instanceof DBException.WrongConfiguration) {
            return e;
        }
        if (e instanceof DBException.VolumeIOError && !isEndOfFile(e)) {
            return translate(file, e);
        }
        return new StoreCorruptException(file, describe(e), e);
    }

    private static boolean isEndOfFile(Throwable e) {
        if (e instanceof DBException.VolumeEOF) {
            return true;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof EOFException) {
                return true;
            }
        }
        return false;
    }

    private static String describe(Throwable e) {
        if (isEndOfFile(e)) {
            return "unexpected end of file (truncated)";
        }
        StringBuilder s = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (s.length() > 0) {
                s.append(" <- ");
            }
            s.append(t.getClass().getSimpleName());
            if (t.getMessage() != null) {
                // MapDB's first sentence says what is wrong; the rest is advice for MapDB users, e.g.
                // "Use clean shutdown or enable transactions", which misleads here.
                String message = t.getMessage();
                int sentenceEnd = message.indexOf(". ");
                s.append(": ").append(sentenceEnd > 0 ? message.substring(0, sentenceEnd) : message);
            }
        }
        return s.toString();
    }

    /** Maps a storage engine ({@link DBException}) failure during normal operation to our exceptions. */
    private static RuntimeException translate(Path file, RuntimeException e) {
        if (!(e instanceof DBException)) {
            return e; // ours, or thrown by caller code (forEach actions): pass through unchanged
        }
        if (e instanceof DBException.DataCorruption
                || e instanceof DBException.WrongFormat
                || e instanceof DBException.GetVoid
                || e instanceof DBException.SerializationError
                || isEndOfFile(e)) {
            return new StoreCorruptException(file, describe(e), e);
        }
        if (e instanceof DBException.VolumeIOError) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            return new UncheckedIOException(new IOException("I/O error on store file " + file + ": "
                    + (cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName()), cause));
        }
        return new StoreException(file, "Storage engine failure on store file " + file + ": " + describe(e), e);
    }

    // ------------------------------------------------------------------------------------------
    // Files and directories

    private static void prepareDirectory(Path dir, Path file) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new UncheckedIOException(new NotDirectoryException(dir
                    + " (data directory for " + file.getFileName() + ") exists but is not a directory; choose another --data-dir"));
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(new IOException("Cannot create data directory " + dir + ": " + e
                    + "; create it with write access for user " + System.getProperty("user.name")
                    + " or choose another --data-dir", e));
        }
        if (!Files.isWritable(dir)) {
            throw new UncheckedIOException(new AccessDeniedException(dir.toString(), null,
                    "data directory is not writable by user " + System.getProperty("user.name")
                            + " (the store needs to create its file, write-ahead log and lock file there);"
                            + " fix its permissions or choose another --data-dir"));
        }
        if (Files.exists(file)) {
            if (!Files.isRegularFile(file)) {
                throw new UncheckedIOException(new IOException("Store file " + file + " exists but is not a regular file"));
            }
            if (!Files.isReadable(file) || !Files.isWritable(file)) {
                throw new UncheckedIOException(new AccessDeniedException(file.toString(), null,
                        "store file is not readable and writable by user " + System.getProperty("user.name")
                                + "; fix its permissions or choose another --data-dir"));
            }
        }
    }

    private static Path registryKey(Path dir, Path file) {
        try {
            return dir.toRealPath().resolve(file.getFileName());
        } catch (IOException e) {
            throw new UncheckedIOException(new IOException("Cannot resolve data directory " + dir + ": " + e, e));
        }
    }

    /** MapDB's write-ahead-log files of {@code file}: {@code FILE.wal.0}, {@code FILE.wal.1}, ... */
    private static List<Path> walFiles(Path file) throws IOException {
        Pattern wal = Pattern.compile(Pattern.quote(file.getFileName().toString()) + "\\.wal\\.\\d+");
        List<Path> result = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(file.getParent(),
                p -> wal.matcher(p.getFileName().toString()).matches())) {
            entries.forEach(result::add);
        }
        Collections.sort(result);
        return result;
    }

    private static void deleteWithWal(Path file) throws IOException {
        Files.deleteIfExists(file);
        Files.deleteIfExists(JournaledVolume.journalPath(file));
        for (Path wal : walFiles(file)) {
            Files.deleteIfExists(wal);
        }
    }

    /**
     * Moves the file and its WAL files aside as {@code FILE.<kind>-<stamp>} and
     * {@code FILE.<kind>-<stamp>.wal.N}, so the moved set stays a consistent MapDB store for
     * forensics, and so a stale WAL can never be replayed into the fresh file.
     */
    private static void moveAside(Path file, StoreException reason) {
        String kind = reason instanceof StoreFormatException ? "unsupported" : "corrupt";
        try {
            List<Path> wals = walFiles(file);
            Path target = uniqueSibling(file, file.getFileName() + "." + kind + "-" + MOVED_ASIDE_STAMP.format(Instant.now()));
            Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
            for (Path wal : wals) {
                String suffix = wal.getFileName().toString().substring(file.getFileName().toString().length());
                Files.move(wal, target.resolveSibling(target.getFileName() + suffix), StandardCopyOption.ATOMIC_MOVE);
            }
            syncDirectory(file.getParent());
            LOG.warn("Store file {} is {} ({}); moved it aside to {}{} and started with an empty store",
                    file, kind.equals("corrupt") ? "corrupt" : "in an unsupported format",
                    kind.equals("corrupt") ? reasonDetail(reason) : "format " + ((StoreFormatException) reason).foundVersion()
                            + ", supported " + FORMAT_VERSION,
                    target, wals.isEmpty() ? "" : " (with " + wals.size() + " write-ahead-log file(s))");
        } catch (IOException e) {
            UncheckedIOException failure = new UncheckedIOException(new IOException("Cannot move bad store file " + file
                    + " aside: " + e + "; move or delete it by hand", e));
            failure.addSuppressed(reason);
            throw failure;
        }
    }

    private static String reasonDetail(StoreException reason) {
        return reason instanceof StoreCorruptException corrupt ? corrupt.detail() : reason.getMessage();
    }

    private static void moveAsideOrphanWal(Path file) {
        try {
            List<Path> wals = new ArrayList<>(walFiles(file));
            Path journal = JournaledVolume.journalPath(file);
            if (Files.exists(journal) && Files.size(journal) > 0) {
                wals.add(journal);
            }
            if (wals.isEmpty()) {
                return;
            }
            String stamp = MOVED_ASIDE_STAMP.format(Instant.now());
            for (Path wal : wals) {
                Path target = uniqueSibling(wal, wal.getFileName() + ".orphan-" + stamp);
                Files.move(wal, target, StandardCopyOption.ATOMIC_MOVE);
                LOG.warn("Store file {} is missing but its log {} exists; moved the log aside to {}"
                        + " so it cannot be replayed into the new empty store", file, wal, target);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(new IOException("Cannot move orphan write-ahead log of " + file + " aside: " + e, e));
        }
    }

    private static Path uniqueSibling(Path file, String name) {
        Path candidate = file.resolveSibling(name);
        for (int i = 1; Files.exists(candidate); i++) {
            candidate = file.resolveSibling(name + "-" + i);
        }
        return candidate;
    }

    static void syncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // not supported on every platform; the rename itself is atomic
        }
    }

    private static void closeQuietly(DB db) {
        try {
            db.close();
        } catch (RuntimeException ignored) {
            // closing a store that failed to open
        }
    }

    static StoreLockedException lockedInThisProcess(Path file, Throwable cause) {
        return new StoreLockedException(file, ProcessHandle.current().pid(),
                "Store file " + file + " is already open in this process (pid " + ProcessHandle.current().pid()
                        + "); close the existing DurableStore first, or stop the other outpost component using "
                        + file.getParent() + " or choose another --data-dir.",
                cause);
    }

    // ------------------------------------------------------------------------------------------
    // Values

    private static byte[] encode(String compositeKey, byte[] value) {
        byte[] stored = new byte[4 + value.length];
        System.arraycopy(value, 0, stored, 4, value.length);
        ByteBuffer.wrap(stored).putInt(0, checksum(compositeKey, stored));
        return stored;
    }

    private static byte[] decode(Path file, String compositeKey, byte[] stored) {
        if (stored == null || stored.length < 4 || ByteBuffer.wrap(stored).getInt(0) != checksum(compositeKey, stored)) {
            int separator = compositeKey.indexOf(SEPARATOR);
            throw new StoreCorruptException(file, "the value of key '" + compositeKey.substring(separator + 1)
                    + "' in map '" + compositeKey.substring(0, Math.max(separator, 0)) + "' fails its checksum");
        }
        byte[] value = new byte[stored.length - 4];
        System.arraycopy(stored, 4, value, 0, value.length);
        return value;
    }

    private static int checksum(String compositeKey, byte[] stored) {
        CRC32C crc = new CRC32C();
        crc.update(compositeKey.getBytes(StandardCharsets.UTF_8));
        crc.update(stored, 4, stored.length - 4);
        return (int) crc.getValue();
    }

    // ------------------------------------------------------------------------------------------
    // Public API

    /**
     * The map called {@code name} (letters, digits, {@code . _ -}; starting with a letter or digit;
     * at most 200 characters). Maps need no creation: a map without entries is empty.
     */
    public DurableMap map(String name) {
        Objects.requireNonNull(name, "name");
        if (!MAP_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("Invalid map name '" + name
                    + "': use letters, digits, '.', '_' and '-', starting with a letter or digit, at most 200 characters");
        }
        ensureOpen();
        return maps.computeIfAbsent(name, MapView::new);
    }

    /** Runs {@code body} as one transaction: one commit at the end, rollback if it throws. */
    public void transaction(Runnable body) {
        Objects.requireNonNull(body, "body");
        inTransaction(store -> {
            body.run();
            return null;
        });
    }

    /**
     * Runs {@code body} as one transaction and returns its result: one commit at the end; if it
     * throws, everything it wrote is rolled back and the exception is rethrown.
     */
    public <T> T inTransaction(Function<? super DurableStore, ? extends T> body) {
        Objects.requireNonNull(body, "body");
        refuseUpgradeFromReadLock("start a transaction");
        rw.writeLock().lock();
        try {
            ensureOpen();
            boolean outermost = transactionDepth == 0;
            if (outermost) {
                rollbackOnly = false;
            }
            T result;
            transactionDepth++;
            try {
                result = body.apply(this);
            } catch (RuntimeException | Error e) {
                if (outermost) {
                    rollbackAfter(e);
                } else {
                    rollbackOnly = true;
                }
                throw e;
            } finally {
                transactionDepth--;
            }
            if (outermost) {
                if (rollbackOnly) {
                    rollbackOnly = false;
                    IllegalStateException failure = new IllegalStateException("Transaction on store " + file
                            + " was rolled back because a nested transaction or write inside it failed");
                    rollbackAfter(failure);
                    throw failure;
                }
                commit();
            }
            return result;
        } finally {
            rw.writeLock().unlock();
        }
    }

    /** The store file. */
    public Path file() {
        return file;
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Closes the store and releases the file lock. Idempotent. Waits for a running transaction in
     * another thread; refuses to run inside a transaction or {@code forEach} of this store.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        refuseUpgradeFromReadLock("close the store");
        rw.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            if (transactionDepth > 0) {
                throw new IllegalStateException("Cannot close store " + file + " inside one of its transactions");
            }
            closed = true;
            try {
                db.close();
            } catch (RuntimeException e) {
                throw translate(file, e);
            } finally {
                lockFile.release();
                OPEN_IN_THIS_PROCESS.remove(registryKey);
            }
        } finally {
            rw.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "DurableStore[" + file + (closed ? ", closed" : "") + "]";
    }

    // ------------------------------------------------------------------------------------------
    // Internals

    /** For tests: whether some thread waits for the store lock (e.g. a reader behind a transaction). */
    boolean hasWaitingThreads() {
        return rw.hasQueuedThreads();
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("Store " + file + " is closed");
        }
    }

    private void refuseUpgradeFromReadLock(String what) {
        if (rw.getReadHoldCount() > 0 && !rw.isWriteLockedByCurrentThread()) {
            throw new IllegalStateException("Cannot " + what + " on store " + file
                    + " from inside forEach (it holds the read lock); iterate over snapshot() instead,"
                    + " or run the whole forEach inside a transaction");
        }
    }

    private <T> T read(Supplier<T> operation) {
        rw.readLock().lock();
        try {
            ensureOpen();
            return operation.get();
        } catch (RuntimeException e) {
            throw translate(file, e);
        } finally {
            rw.readLock().unlock();
        }
    }

    /** Runs a write; commits unless inside a transaction or {@code changed} says nothing changed. */
    private <T> T write(Supplier<T> operation, Function<T, Boolean> changed) {
        refuseUpgradeFromReadLock("write");
        rw.writeLock().lock();
        try {
            ensureOpen();
            T result;
            try {
                result = operation.get();
            } catch (RuntimeException e) {
                abandonFailedWrite(e);
                throw translate(file, e);
            } catch (Error e) {
                abandonFailedWrite(e);
                throw e;
            }
            if (transactionDepth == 0 && changed.apply(result)) {
                commit();
            }
            return result;
        } finally {
            rw.writeLock().unlock();
        }
    }

    /** Caller holds the write lock. The engine may hold half of the failed write: never commit it. */
    private void abandonFailedWrite(Throwable failure) {
        if (transactionDepth > 0) {
            rollbackOnly = true;
        } else {
            rollbackAfter(failure);
        }
    }

    /** Caller holds the write lock. */
    private void commit() {
        try {
            db.commit();
        } catch (RuntimeException e) {
            rollbackAfter(e);
            throw translate(file, e);
        }
    }

    /** Caller holds the write lock. */
    private void rollbackAfter(Throwable failure) {
        try {
            db.rollback();
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    private final class MapView implements DurableMap {
        private final String name;
        private final String low;
        private final String high;

        MapView(String name) {
            this.name = name;
            this.low = name + SEPARATOR;
            this.high = name + (char) (SEPARATOR + 1);
        }

        private String key(String key) {
            return low + Objects.requireNonNull(key, "key");
        }

        private ConcurrentNavigableMap<String, byte[]> range() {
            return data.subMap(low, true, high, false);
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Optional<byte[]> get(String key) {
            String compositeKey = key(key);
            byte[] stored = read(() -> data.get(compositeKey));
            return stored == null ? Optional.empty() : Optional.of(decode(file, compositeKey, stored));
        }

        @Override
        public boolean containsKey(String key) {
            String compositeKey = key(key);
            return read(() -> data.containsKey(compositeKey));
        }

        @Override
        public void put(String key, byte[] value) {
            String compositeKey = key(key);
            byte[] stored = encode(compositeKey, Objects.requireNonNull(value, "value"));
            write(() -> {
                data.put(compositeKey, stored);
                return Boolean.TRUE;
            }, changed -> changed);
        }

        @Override
        public boolean remove(String key) {
            String compositeKey = key(key);
            return write(() -> data.remove(compositeKey) != null, removed -> removed);
        }

        @Override
        public int clear() {
            return write(() -> {
                List<String> keys = new ArrayList<>(range().keySet());
                for (String compositeKey : keys) {
                    data.remove(compositeKey);
                }
                return keys.size();
            }, removed -> removed > 0);
        }

        @Override
        public int size() {
            return read(() -> {
                long n = 0;
                for (String ignored : range().keySet()) {
                    n++;
                }
                return (int) Math.min(n, Integer.MAX_VALUE);
            });
        }

        @Override
        public Map<String, byte[]> snapshot() {
            return read(() -> {
                Map<String, byte[]> copy = new LinkedHashMap<>();
                for (Map.Entry<String, byte[]> e : range().entrySet()) {
                    copy.put(e.getKey().substring(low.length()), decode(file, e.getKey(), e.getValue()));
                }
                return Collections.unmodifiableMap(copy);
            });
        }

        @Override
        public void forEach(BiConsumer<String, byte[]> action) {
            Objects.requireNonNull(action, "action");
            read(() -> {
                for (Map.Entry<String, byte[]> e : range().entrySet()) {
                    action.accept(e.getKey().substring(low.length()), decode(file, e.getKey(), e.getValue()));
                }
                return null;
            });
        }

        @Override
        public String toString() {
            return "DurableMap[" + name + " in " + file + "]";
        }
    }
}
