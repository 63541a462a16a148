package io.outpost.cache.objects;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.outpost.cache.store.DurableMap;

/**
 * The writes one cache operation makes to one bucket, prepared before anything is written so that
 * the budget can be checked first, then written to the store inside one transaction and, only once
 * that committed, applied to the in-memory {@link Bucket}: the index never runs ahead of the disk.
 */
final class BucketChange {

    private record ObjectPut(byte[] value, byte[] json, Bucket.Indexed indexed) {
    }

    private record ListPut(String key, byte[] value, ListRecord list) {
    }

    private final Bucket bucket;
    private final boolean newBucket;
    private final Map<String, ObjectPut> puts = new LinkedHashMap<>();
    private final List<String> removals = new ArrayList<>();
    private ListPut listPut;

    BucketChange(Bucket bucket, boolean newBucket) {
        this.bucket = bucket;
        this.newBucket = newBucket;
    }

    Bucket bucket() {
        return bucket;
    }

    boolean isNewBucket() {
        return newBucket;
    }

    /**
     * Stores the object unless the bucket holds it at the same resourceVersion and size: the same
     * resourceVersion is the same object, so a re-sent watch event or an unchanged item of a relist
     * costs no disk write.
     */
    void putObjectIfChanged(String key, ObjectFacts facts, byte[] json) {
        byte[] value = EntryCodec.encodeObject(facts, json);
        int storedBytes = EntryCodec.storedBytes(key, value);
        Bucket.Indexed old = bucket.object(key);
        if (old != null && !facts.resourceVersion().isEmpty()
                && old.facts().resourceVersion().equals(facts.resourceVersion()) && old.storedBytes() == storedBytes) {
            puts.remove(key);
            return;
        }
        puts.put(key, new ObjectPut(value, json.clone(), new Bucket.Indexed(facts, storedBytes))); // the caller may reuse json
    }

    /**
     * Records a complete list: its items, and the removal of every cached object of the scope (its
     * namespace, matching its selectors) that the list no longer has, i.e. that was deleted meanwhile.
     */
    void replaceList(ListScope scope, String resourceVersion, List<ObjectFacts> items, List<byte[]> itemsJson, long tick) {
        Set<String> listed = new HashSet<>();
        for (int i = 0; i < items.size(); i++) {
            ObjectFacts facts = items.get(i);
            String key = EntryCodec.objectKey(bucket.key(), facts.namespace(), facts.name());
            listed.add(key);
            putObjectIfChanged(key, facts, itemsJson.get(i));
        }
        bucket.objectsIn(scope.namespace()).forEach((key, cached) -> {
            if (!listed.contains(key) && cached.facts().matches(scope.labelSelector(), scope.fieldSelector())) {
                removeObject(key);
            }
        });
        listPut = listPut(EntryCodec.listKey(bucket.key(), scope.namespace(), scope.labelSelector(), scope.fieldSelector()),
                new ListRecord(scope.namespace(), scope.labelSelector(), scope.fieldSelector(), resourceVersion, tick));
    }

    void removeObject(String key) {
        puts.remove(key);
        removals.add(key);
    }

    private static ListPut listPut(String key, ListRecord list) {
        return new ListPut(key, EntryCodec.encodeList(list), list);
    }

    /** Whether there is nothing to write. */
    boolean isEmpty() {
        return puts.isEmpty() && removals.isEmpty() && listPut == null;
    }

    /** The bucket's size once this change is applied. */
    long bytesAfter() {
        long bytes = bucket.bytes() + (newBucket ? bucket.bucketEntryBytes() : 0);
        for (Map.Entry<String, ObjectPut> put : puts.entrySet()) {
            Bucket.Indexed old = bucket.object(put.getKey());
            bytes += put.getValue().indexed().storedBytes() - (old == null ? 0 : old.storedBytes());
        }
        for (String key : removals) {
            Bucket.Indexed old = bucket.object(key);
            bytes -= old == null ? 0 : old.storedBytes();
        }
        if (listPut != null) {
            bytes += EntryCodec.storedBytes(listPut.key(), listPut.value()) - bucket.listBytes(listPut.key());
        }
        return bytes;
    }

    /** Writes the change and the bucket's recency; call inside a store transaction. */
    void writeTo(DurableMap entries, long tick) {
        entries.put(bucket.bucketEntryKey(), EntryCodec.encodeBucket(tick));
        for (String key : removals) {
            entries.remove(key);
        }
        puts.forEach((key, put) -> entries.put(key, put.value()));
        if (listPut != null) {
            entries.put(listPut.key(), listPut.value());
        }
    }

    /** Applies the change to the in-memory bucket and {@code hot}; call after the store committed it. */
    void applyTo(long tick, HotJson hot) {
        if (newBucket) {
            bucket.addBucketEntryBytes();
        }
        for (String key : removals) {
            bucket.removeObject(key);
            hot.remove(key);
        }
        puts.forEach((key, put) -> {
            bucket.putObject(key, put.indexed());
            hot.put(key, put.json());
        });
        if (listPut != null) {
            bucket.putList(listPut.key(), listPut.list(), EntryCodec.storedBytes(listPut.key(), listPut.value()));
        }
        bucket.touch(tick);
    }
}
