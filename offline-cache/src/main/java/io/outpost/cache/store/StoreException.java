package io.outpost.cache.store;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Base class of the problems a {@link DurableStore} reports about its file. Unchecked, so it can
 * cross lambdas such as {@link DurableStore#transaction(Runnable)}; the message always names the file.
 */
public class StoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public StoreException(Path file, String message) {
        super(message);
        this.file = Objects.requireNonNull(file, "file");
    }

    public StoreException(Path file, String message, Throwable cause) {
        super(message, cause);
        this.file = Objects.requireNonNull(file, "file");
    }

    /** The store file the problem is about. */
    public Path file() {
        return file;
    }
}
