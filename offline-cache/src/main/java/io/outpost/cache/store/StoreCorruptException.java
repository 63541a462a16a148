package io.outpost.cache.store;

import java.nio.file.Path;

/**
 * The store file is truncated, overwritten, not a store file at all, or a value failed its
 * checksum. Nothing from such a file is served. {@link DurableStore#openOrReset(Path)} moves the
 * file aside as {@code FILE.corrupt-<timestamp>} and starts empty.
 */
public class StoreCorruptException extends StoreException {
    private static final long serialVersionUID = 1L;

    private final String detail;

    public StoreCorruptException(Path file, String detail) {
        super(file, message(file, detail));
        this.detail = detail;
    }

    public StoreCorruptException(Path file, String detail, Throwable cause) {
        super(file, message(file, detail), cause);
        this.detail = detail;
    }

    /** What is wrong, without the file name and advice, e.g. {@code "unexpected end of file (truncated)"}. */
    public String detail() {
        return detail;
    }

    private static String message(Path file, String detail) {
        return "Store file " + file + " is corrupt or truncated: " + detail
                + ". Restore it from a backup, or move it aside to start with an empty store"
                + " (DurableStore.openOrReset does that automatically).";
    }
}
