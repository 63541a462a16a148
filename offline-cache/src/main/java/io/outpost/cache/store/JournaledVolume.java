package io.outpost.cache.store;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

import org.mapdb.DBException;
import org.mapdb.DataInput2;
import org.mapdb.volume.ByteArrayVol;
import org.mapdb.volume.RandomAccessFileVol;
import org.mapdb.volume.Volume;
import org.mapdb.volume.VolumeFactory;

/**
 * The main-file volume under MapDB's {@code StoreWAL}, making each commit atomic with a redo journal.
 *
 * <p>Why it exists: MapDB 3.1's {@code StoreWAL.commit()} writes and syncs its write-ahead log, then
 * copies the changes into the main file, then syncs it, but <b>never replays the log when a store is
 * opened</b>. A process killed while the changes are being copied leaves the main file half old, half
 * new: committed entries disappear and the B-tree breaks (ArrayIndexOutOfBoundsException on open).
 * Our crash test hit this in about one run in twenty; halting the JVM in the middle of the copy
 * reproduces it every time.
 *
 * <p>What it does: writes to the main file are held in memory as 4 KiB pages until MapDB calls
 * {@link #sync()} (the end of a commit). Then the pages are written to {@code FILE.journal} with a
 * CRC32C and fsync'd, copied into the main file, the main file is fsync'd, and the journal is emptied.
 * {@link #recover(Path, Path)}, run before every open, copies a complete journal into the main file
 * again (idempotent) and discards an incomplete one (its commit never touched the main file). So a
 * commit is all or nothing at any crash point, process kill or power loss. Reads see pending pages.
 *
 * <p>MapDB's own write-ahead log goes to memory ({@link Factory}): it is only used as a buffer during
 * the transaction, since MapDB never reads it back after a restart.
 *
 * <p>Thread-safe: every method is synchronized, like MapDB's {@link RandomAccessFileVol} underneath.
 */
final class JournaledVolume extends Volume {

    static final int PAGE_SIZE = 4096;

    private static final long MAGIC = 0x4F55_5450_4A52_4E4CL; // "OUTPJRNL"
    private static final long END_MAGIC = 0x434F_4D4D_4954_5445L; // "COMMITTE"
    private static final int JOURNAL_VERSION = 1;
    private static final int HEADER_BYTES = 8 + 4 + 4 + 4;
    private static final int TRAILER_BYTES = 4 + 8;

    /** For crash tests only: called at named points of {@link #sync()}; may halt the JVM. */
    interface CrashPoint {
        void reached(String point, int pagesApplied);
    }

    static volatile CrashPoint crashPoint;

    private final Volume main;
    private final RandomAccessFile journal;
    private final TreeMap<Long, byte[]> pending = new TreeMap<>();
    private long pendingEnd;
    /** Set when applying a journaled commit to the main file failed: only a reopen can repair it. */
    private Exception failure;

    private JournaledVolume(Volume main, RandomAccessFile journal) {
        this.main = main;
        this.journal = journal;
    }

    static Path journalPath(Path file) {
        return file.resolveSibling(file.getFileName() + ".journal");
    }

    // ------------------------------------------------------------------------------------------
    // Factory

    /**
     * Creates the volumes MapDB asks for: the journaled main file for {@code file}, memory for the
     * write-ahead-log files ({@code FILE.wal.N}). Locking is done by {@link LockFile}, not here.
     */
    static final class Factory extends VolumeFactory {
        private final String mainFile;
        private final java.util.List<Volume> created = new java.util.ArrayList<>();

        Factory(Path file) {
            this.mainFile = file.toString();
        }

        /** Closes every volume made so far; for a store whose opening failed. */
        synchronized void closeAll() {
            for (Volume volume : created) {
                try {
                    volume.close();
                } catch (RuntimeException ignored) {
                    // best effort
                }
            }
        }

        @Override
        public synchronized Volume makeVolume(String file, boolean readOnly, long fileLockWait, int sliceShift,
                                              long initSize, boolean fixedSize) {
            if (!mainFile.equals(file)) {
                return ByteArrayVol.FACTORY.makeVolume(null, false, -1L, sliceShift, initSize, false);
            }
            Path path = Path.of(file);
            Path journalFile = journalPath(path);
            boolean journalExisted = Files.exists(journalFile);
            Volume main = RandomAccessFileVol.FACTORY.makeVolume(file, false, -1L, sliceShift, initSize, fixedSize);
            try {
                RandomAccessFile journal = new RandomAccessFile(journalFile.toFile(), "rw");
                if (!journalExisted) {
                    // the journal's directory entry must survive a power loss as surely as its content
                    DurableStore.syncDirectory(path.getParent());
                }
                JournaledVolume volume = new JournaledVolume(main, journal);
                created.add(volume);
                return volume;
            } catch (IOException e) {
                main.close();
                throw new DBException.VolumeIOError(e);
            }
        }

        @Override
        public boolean exists(String file) {
            return mainFile.equals(file) && RandomAccessFileVol.FACTORY.exists(file);
        }

        @Override
        public boolean handlesReadonly() {
            return true;
        }
    }

    // ------------------------------------------------------------------------------------------
    // Recovery

    /** What {@link #recover(Path, Path)} did. */
    enum Recovery { NOTHING, REPLAYED, DISCARDED_INCOMPLETE }

    /**
     * Before opening {@code file}: finishes a commit whose journal is complete, discards an incomplete
     * journal. Caller holds the store lock.
     */
    static Recovery recover(Path file, Path journalFile) throws IOException {
        if (!Files.exists(journalFile) || Files.size(journalFile) == 0) {
            return Recovery.NOTHING;
        }
        byte[] content = Files.readAllBytes(journalFile);
        Map<Long, byte[]> pages = parse(content);
        if (pages == null) {
            truncate(journalFile);
            return Recovery.DISCARDED_INCOMPLETE;
        }
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            for (Map.Entry<Long, byte[]> page : pages.entrySet()) {
                raf.seek(page.getKey() * PAGE_SIZE);
                raf.write(page.getValue());
            }
            raf.getFD().sync();
        }
        truncate(journalFile);
        return Recovery.REPLAYED;
    }

    private static void truncate(Path journalFile) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(journalFile.toFile(), "rw")) {
            raf.setLength(0);
            raf.getFD().sync();
        }
    }

    /** The pages of a complete, intact journal, or null. */
    private static Map<Long, byte[]> parse(byte[] content) {
        if (content.length < HEADER_BYTES + TRAILER_BYTES) {
            return null;
        }
        ByteBuffer in = ByteBuffer.wrap(content);
        if (in.getLong() != MAGIC || in.getInt() != JOURNAL_VERSION || in.getInt() != PAGE_SIZE) {
            return null;
        }
        int count = in.getInt();
        long expected = (long) HEADER_BYTES + (long) count * (8 + PAGE_SIZE) + TRAILER_BYTES;
        if (count < 0 || expected != content.length) {
            return null;
        }
        CRC32C crc = new CRC32C();
        crc.update(content, 0, content.length - TRAILER_BYTES);
        ByteBuffer trailer = ByteBuffer.wrap(content, content.length - TRAILER_BYTES, TRAILER_BYTES);
        if (trailer.getInt() != (int) crc.getValue() || trailer.getLong() != END_MAGIC) {
            return null;
        }
        Map<Long, byte[]> pages = new TreeMap<>();
        for (int i = 0; i < count; i++) {
            long pageNumber = in.getLong();
            byte[] page = new byte[PAGE_SIZE];
            in.get(page);
            pages.put(pageNumber, page);
        }
        return pages;
    }

    // ------------------------------------------------------------------------------------------
    // Commit

    @Override
    public synchronized void sync() {
        checkUsable();
        if (pending.isEmpty()) {
            main.sync();
            return;
        }
        try {
            writeJournal();
        } catch (IOException | RuntimeException e) {
            // The main file is untouched: the commit did not happen. Drop its pages so that MapDB's
            // rollback (which re-reads the header) sees the last committed state.
            pending.clear();
            pendingEnd = 0;
            throw e instanceof IOException io ? new DBException.VolumeIOError(io) : (RuntimeException) e;
        }
        try {
            reached("journal-written", 0);
            int applied = 0;
            for (Map.Entry<Long, byte[]> page : pending.entrySet()) {
                main.putData(page.getKey() * PAGE_SIZE, page.getValue(), 0, PAGE_SIZE);
                reached("page-applied", ++applied);
            }
            main.sync();
            journal.setLength(0); // no fsync needed: replaying the latest journal again is harmless
        } catch (IOException | RuntimeException e) {
            // The journal is complete, the main file may be half-written: only recover() on the next
            // open can make it whole. Refuse further use of this instance.
            failure = e;
            throw e instanceof IOException io ? new DBException.VolumeIOError(io) : (RuntimeException) e;
        }
        pending.clear();
        pendingEnd = 0;
    }

    private void checkUsable() {
        if (failure != null) {
            throw new DBException.VolumeIOError(new IOException("store file " + main.getFile()
                    + " failed while applying a commit (" + failure + "); close and reopen the store to complete it"));
        }
    }

    private void writeJournal() throws IOException {
        int count = pending.size();
        ByteBuffer out = ByteBuffer.allocate(HEADER_BYTES + count * (8 + PAGE_SIZE) + TRAILER_BYTES);
        out.putLong(MAGIC).putInt(JOURNAL_VERSION).putInt(PAGE_SIZE).putInt(count);
        for (Map.Entry<Long, byte[]> page : pending.entrySet()) {
            out.putLong(page.getKey()).put(page.getValue());
        }
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, out.position());
        out.putInt((int) crc.getValue()).putLong(END_MAGIC);
        journal.seek(0);
        journal.write(out.array());
        journal.setLength(out.capacity());
        journal.getFD().sync();
    }

    private static void reached(String point, int pagesApplied) {
        CrashPoint hook = crashPoint;
        if (hook != null) {
            hook.reached(point, pagesApplied);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Pages

    private byte[] page(long pageNumber) {
        byte[] page = pending.get(pageNumber);
        if (page == null) {
            page = new byte[PAGE_SIZE];
            long start = pageNumber * PAGE_SIZE;
            long available = main.length() - start;
            if (available > 0) {
                main.getData(start, page, 0, (int) Math.min(PAGE_SIZE, available));
            }
            pending.put(pageNumber, page);
        }
        return page;
    }

    private void write(long offset, byte[] src, int srcPos, int length) {
        checkUsable();
        pendingEnd = Math.max(pendingEnd, offset + length);
        while (length > 0) {
            long pageNumber = offset / PAGE_SIZE;
            int inPage = (int) (offset % PAGE_SIZE);
            int n = Math.min(length, PAGE_SIZE - inPage);
            System.arraycopy(src, srcPos, page(pageNumber), inPage, n);
            offset += n;
            srcPos += n;
            length -= n;
        }
    }

    private void read(long offset, byte[] dst, int dstPos, int length) {
        checkUsable();
        if (pending.isEmpty()) {
            main.getData(offset, dst, dstPos, length);
            return;
        }
        while (length > 0) {
            long pageNumber = offset / PAGE_SIZE;
            int inPage = (int) (offset % PAGE_SIZE);
            int n = Math.min(length, PAGE_SIZE - inPage);
            byte[] page = pending.get(pageNumber);
            if (page != null) {
                System.arraycopy(page, inPage, dst, dstPos, n);
            } else {
                main.getData(offset, dst, dstPos, n);
            }
            offset += n;
            dstPos += n;
            length -= n;
        }
    }

    // ------------------------------------------------------------------------------------------
    // Volume

    @Override
    public synchronized void putLong(long offset, long value) {
        write(offset, ByteBuffer.allocate(8).putLong(value).array(), 0, 8);
    }

    @Override
    public synchronized void putInt(long offset, int value) {
        write(offset, ByteBuffer.allocate(4).putInt(value).array(), 0, 4);
    }

    @Override
    public synchronized void putByte(long offset, byte value) {
        write(offset, new byte[]{value}, 0, 1);
    }

    @Override
    public synchronized void putData(long offset, byte[] src, int srcPos, int srcSize) {
        write(offset, src, srcPos, srcSize);
    }

    @Override
    public synchronized void putData(long offset, ByteBuffer buf) {
        ByteBuffer copy = buf.duplicate();
        byte[] bytes = new byte[copy.remaining()];
        copy.get(bytes);
        write(offset, bytes, 0, bytes.length);
    }

    @Override
    public synchronized void clear(long startOffset, long endOffset) {
        long offset = startOffset;
        byte[] zeros = new byte[PAGE_SIZE];
        while (offset < endOffset) {
            int n = (int) Math.min(zeros.length, endOffset - offset);
            write(offset, zeros, 0, n);
            offset += n;
        }
    }

    @Override
    public synchronized long getLong(long offset) {
        byte[] b = new byte[8];
        read(offset, b, 0, 8);
        return ByteBuffer.wrap(b).getLong();
    }

    @Override
    public synchronized int getInt(long offset) {
        byte[] b = new byte[4];
        read(offset, b, 0, 4);
        return ByteBuffer.wrap(b).getInt();
    }

    @Override
    public synchronized byte getByte(long offset) {
        byte[] b = new byte[1];
        read(offset, b, 0, 1);
        return b[0];
    }

    @Override
    public synchronized DataInput2 getDataInput(long offset, int size) {
        byte[] b = new byte[size];
        read(offset, b, 0, size);
        return new DataInput2.ByteArray(b);
    }

    @Override
    public synchronized void getData(long offset, byte[] bytes, int bytesPos, int size) {
        read(offset, bytes, bytesPos, size);
    }

    @Override
    public synchronized void ensureAvailable(long offset) {
        main.ensureAvailable(offset); // growing the file with zeros changes no data, needs no journal
    }

    @Override
    public synchronized void truncate(long size) {
        if (!pending.isEmpty()) {
            throw new IllegalStateException("truncate with uncommitted pages");
        }
        main.truncate(size);
    }

    @Override
    public synchronized long length() {
        return Math.max(main.length(), pendingEnd);
    }

    /** Closes without writing pending pages: they belong to a commit that did not reach sync(). */
    @Override
    public synchronized void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        pending.clear();
        try {
            main.close();
        } finally {
            try {
                journal.close();
            } catch (IOException ignored) {
                // nothing was pending in it
            }
        }
    }

    @Override
    public int sliceSize() {
        return main.sliceSize();
    }

    @Override
    public boolean isSliced() {
        return main.isSliced();
    }

    @Override
    public boolean isReadOnly() {
        return false;
    }

    @Override
    public File getFile() {
        return main.getFile();
    }

    @Override
    public boolean getFileLocked() {
        return false;
    }

    @Override
    public String toString() {
        return "JournaledVolume[" + main.getFile() + ", " + pending.size() + " pending pages]";
    }
}
