package io.outpost.cache.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Our own inter-process lock on {@code FILE.lock}, taken before MapDB touches the store file, and
 * holding the owner's pid so a second opener can say who holds the store.
 *
 * <p>Why not rely on MapDB's lock alone: Java file locks are POSIX {@code fcntl} locks on Linux,
 * which belong to the process and are dropped when the process closes <em>any</em> descriptor of
 * the file. MapDB leaks the descriptor of a failed open, and the JDK's cleaner closes it at some
 * later GC, which would silently drop the lock of a later, successful open in the same process. This
 * lock file is only ever opened here, and a same-process second open is refused by
 * {@link DurableStore} before anything opens a file. The lock file is never deleted (deleting lock
 * files races with processes that already opened them); it is emptied on release.
 */
final class LockFile {

    private static final Pattern PID = Pattern.compile("(?m)^pid=(\\d+)$");
    private static final Pattern HOST = Pattern.compile("(?m)^host=(.+)$");
    private static final Pattern SINCE = Pattern.compile("(?m)^since=(.+)$");

    /**
     * Channels that must never be closed: closing them would drop a lock this process holds
     * through another channel (see class comment). Only reached when two class loaders open the same
     * store, which the per-class-loader registry in DurableStore cannot see.
     */
    private static final List<FileChannel> NEVER_CLOSE = new CopyOnWriteArrayList<>();

    private final Path path;
    private final FileChannel channel;
    private final FileLock lock;

    private LockFile(Path path, FileChannel channel, FileLock lock) {
        this.path = path;
        this.channel = channel;
        this.lock = lock;
    }

    static Path pathFor(Path storeFile) {
        return storeFile.resolveSibling(storeFile.getFileName() + ".lock");
    }

    /** Takes the lock or throws {@link StoreLockedException}; never waits. */
    static LockFile acquire(Path storeFile) {
        Path path = pathFor(storeFile);
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException(new IOException("Cannot create lock file " + path + " for store file "
                    + storeFile + ": " + e, e));
        }
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            NEVER_CLOSE.add(channel);
            throw DurableStore.lockedInThisProcess(storeFile, e);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new UncheckedIOException(new IOException("Cannot lock " + path + " for store file " + storeFile + ": " + e, e));
        }
        if (lock == null) {
            String owner = readQuietly(channel);
            closeQuietly(channel); // this process holds no lock on the file, so closing drops nothing
            throw lockedByOtherProcess(storeFile, owner);
        }
        LockFile lockFile = new LockFile(path, channel, lock);
        try {
            lockFile.writeOwner(storeFile);
        } catch (IOException e) {
            lockFile.release();
            throw new UncheckedIOException(new IOException("Cannot write lock file " + path + ": " + e, e));
        }
        return lockFile;
    }

    private void writeOwner(Path storeFile) throws IOException {
        String host = System.getenv("HOSTNAME");
        String text = "pid=" + ProcessHandle.current().pid() + "\n"
                + (host == null || host.isBlank() ? "" : "host=" + host.trim() + "\n")
                + "since=" + Instant.now() + "\n"
                + "file=" + storeFile + "\n";
        channel.truncate(0);
        ByteBuffer buffer = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        long position = 0;
        while (buffer.hasRemaining()) {
            position += channel.write(buffer, position);
        }
        channel.force(false);
    }

    void release() {
        try {
            if (channel.isOpen()) {
                channel.truncate(0);
            }
        } catch (IOException ignored) {
            // best effort: a stale owner line is only shown if the lock is taken by someone else
        }
        try {
            lock.release();
        } catch (IOException ignored) {
            // closing the channel below releases it too
        }
        closeQuietly(channel);
    }

    Path path() {
        return path;
    }

    private static StoreLockedException lockedByOtherProcess(Path storeFile, String owner) {
        Long pid = null;
        StringBuilder who = new StringBuilder();
        Matcher m = PID.matcher(owner);
        if (m.find()) {
            pid = Long.parseLong(m.group(1));
            who.append("pid ").append(pid);
            Matcher h = HOST.matcher(owner);
            if (h.find()) {
                who.append(" on host ").append(h.group(1).trim());
            }
            Matcher s = SINCE.matcher(owner);
            if (s.find()) {
                who.append(", since ").append(s.group(1).trim());
            }
        } else {
            who.append("pid unknown");
        }
        Path dir = storeFile.getParent();
        return new StoreLockedException(storeFile, pid,
                "Store file " + storeFile + " is locked: another process holds it (" + who + "). "
                        + "Stop the other outpost process using " + dir + " or choose another --data-dir.",
                null);
    }

    private static String readQuietly(FileChannel channel) {
        try {
            long size = Math.min(channel.size(), 4096);
            ByteBuffer buffer = ByteBuffer.allocate((int) size);
            long position = 0;
            while (buffer.hasRemaining()) {
                int n = channel.read(buffer, position);
                if (n < 0) {
                    break;
                }
                position += n;
            }
            return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing useful to do
        }
    }
}
