package io.outpost.cache.objects;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * The in-memory index of one {@link BucketKey}: every cached object's {@link ObjectFacts} and size,
 * every list record, the bytes they take and when the bucket was last used. The JSON stays on disk.
 *
 * <p>Not thread-safe on its own: {@link DurableObjectCache} mutates buckets under its write lock and
 * reads them under its read lock; only {@link #touch(long)} runs under the read lock, and a lost
 * race there merely makes a bucket look a little less recent.
 */
final class Bucket {

    /** An indexed object; {@code storedBytes} counts its key and value. */
    record Indexed(ObjectFacts facts, int storedBytes) {
    }

    private final BucketKey key;
    private final String bucketEntryKey;
    private final NavigableMap<String, Indexed> objects = new TreeMap<>();
    private final Map<String, ListRecord> lists = new HashMap<>();
    private final Map<String, Integer> listBytes = new HashMap<>();
    private long bytes;
    private volatile long lastUsed;

    Bucket(BucketKey key) {
        this.key = key;
        this.bucketEntryKey = EntryCodec.bucketKey(key);
    }

    BucketKey key() {
        return key;
    }

    String client() {
        return key.client();
    }

    /** The store key of the entry that records this bucket's recency. */
    String bucketEntryKey() {
        return bucketEntryKey;
    }

    /** Bytes of the bucket entry itself: part of the budget like everything else the bucket writes. */
    int bucketEntryBytes() {
        return EntryCodec.storedBytes(bucketEntryKey, EntryCodec.encodeBucket(0));
    }

    long bytes() {
        return bytes;
    }

    int objectCount() {
        return objects.size();
    }

    long lastUsed() {
        return lastUsed;
    }

    void touch(long tick) {
        if (tick > lastUsed) {
            lastUsed = tick;
        }
    }

    Indexed object(String storeKey) {
        return objects.get(storeKey);
    }

    /** Objects of {@code namespace} ("" for all), keyed by store key, in namespace-then-name order. */
    NavigableMap<String, Indexed> objectsIn(String namespace) {
        String[] range = EntryCodec.objectRange(key, namespace);
        return objects.subMap(range[0], true, range[1], false);
    }

    /** The most recently recorded list that covers {@code query}, or {@code null}. */
    ListRecord coveringList(ListScope query) {
        ListRecord best = null;
        for (ListRecord list : lists.values()) {
            if (list.covers(query) && (best == null || list.tick() > best.tick())) {
                best = list;
            }
        }
        return best;
    }

    int listBytes(String storeKey) {
        return listBytes.getOrDefault(storeKey, 0);
    }

    /** Every store key this bucket holds, its own entry included (what evicting it removes). */
    Set<String> storeKeys() {
        Set<String> keys = new HashSet<>(objects.keySet());
        keys.addAll(lists.keySet());
        keys.add(bucketEntryKey);
        return keys;
    }

    // Mutations: only after the store committed the same change.

    void putObject(String storeKey, Indexed object) {
        Indexed old = objects.put(storeKey, object);
        bytes += object.storedBytes() - (old == null ? 0 : old.storedBytes());
    }

    void removeObject(String storeKey) {
        Indexed old = objects.remove(storeKey);
        if (old != null) {
            bytes -= old.storedBytes();
        }
    }

    void putList(String storeKey, ListRecord list, int storedBytes) {
        lists.put(storeKey, list);
        Integer old = listBytes.put(storeKey, storedBytes);
        bytes += storedBytes - (old == null ? 0 : old);
    }

    /** Counts the bucket entry once, when the bucket is first written or loaded. */
    void addBucketEntryBytes() {
        bytes += bucketEntryBytes();
    }
}
