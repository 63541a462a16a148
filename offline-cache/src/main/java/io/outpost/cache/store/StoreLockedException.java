package io.outpost.cache.store;

import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The store file is already open, in another process or earlier in this one. A store file has
 * exactly one writer; a second one would corrupt it.
 */
public class StoreLockedException extends StoreException {
    private static final long serialVersionUID = 1L;

    private final Long holderPid;

    public StoreLockedException(Path file, Long holderPid, String message, Throwable cause) {
        super(file, message, cause);
        this.holderPid = holderPid;
    }

    /** The process id of the holder when it could be determined (from the {@code FILE.lock} file). */
    public OptionalLong holderPid() {
        return holderPid == null ? OptionalLong.empty() : OptionalLong.of(holderPid);
    }
}
