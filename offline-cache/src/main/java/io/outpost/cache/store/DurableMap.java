package io.outpost.cache.store;

import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * A named map of {@code String -> byte[]} inside a {@link DurableStore}.
 *
 * <p>Every write is committed (synced to disk) before it returns, unless it runs inside
 * {@link DurableStore#transaction(Runnable)} / {@link DurableStore#inTransaction(java.util.function.Function)},
 * which commit once at the end. All methods are thread-safe. Values are copied in and out: changing
 * an array after {@code put} or after reading it does not change the store. Keys are ordered by
 * {@link String#compareTo(String)}.
 */
public interface DurableMap {

    /** The map's name within its store. */
    String name();

    /** The value stored under {@code key}, if any. */
    Optional<byte[]> get(String key);

    /** Whether a value is stored under {@code key}. */
    boolean containsKey(String key);

    /** Stores {@code value} under {@code key}, replacing any previous value. */
    void put(String key, byte[] value);

    /** Removes {@code key}; returns whether it was present. */
    boolean remove(String key);

    /** Removes every entry of this map (one commit); returns how many were removed. */
    int clear();

    /** Number of entries. Counts the entries, so it is O(n). */
    int size();

    /** A consistent, sorted, unmodifiable copy of all entries. */
    Map<String, byte[]> snapshot();

    /**
     * Calls {@code action} for every entry in key order, under the store's read lock. Writes from
     * inside {@code action} are rejected with {@link IllegalStateException} unless the whole call
     * runs inside a transaction; use {@link #snapshot()} to iterate and modify.
     */
    void forEach(BiConsumer<String, byte[]> action);
}
