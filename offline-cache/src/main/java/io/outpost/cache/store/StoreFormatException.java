package io.outpost.cache.store;

import java.nio.file.Path;

/**
 * The store file is readable but records a format version this code does not understand,
 * typically because a newer Outpost release wrote it. {@link DurableStore#openOrReset(Path)} moves
 * such a file aside as {@code FILE.unsupported-<timestamp>} (so a newer release can still use it)
 * and starts empty.
 */
public class StoreFormatException extends StoreException {
    private static final long serialVersionUID = 1L;

    private final String foundVersion;
    private final int supportedVersion;

    public StoreFormatException(Path file, String foundVersion, int supportedVersion, String detail) {
        super(file, "Store file " + file + " has format version " + foundVersion
                + ", but this Outpost build supports format version " + supportedVersion + " only"
                + (detail == null || detail.isEmpty() ? "" : " (" + detail + ")")
                + ". Run the Outpost release that wrote it, or move the file aside to start with an empty store.");
        this.foundVersion = foundVersion;
        this.supportedVersion = supportedVersion;
    }

    /** The version recorded in the file as text, or {@code "none"} when the file has no Outpost format marker. */
    public String foundVersion() {
        return foundVersion;
    }

    /** The one format version this build reads and writes. */
    public int supportedVersion() {
        return supportedVersion;
    }
}
