package io.outpost.cache.objects;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.outpost.cache.store.DurableMap;
import io.outpost.cache.store.DurableStore;

/**
 * Opens the cache's content in a store: checks the cache format version, rebuilds the in-memory
 * index from the entries (headers only, no JSON parsing), and starts empty, with one WARN line,
 * when the content is from an unknown format version or cannot be read. It never serves what it
 * cannot read.
 */
final class CacheLoader {

    static final String META_MAP = "objects.meta";
    static final String ENTRIES_MAP = "objects.entries";
    static final String FORMAT_KEY = "format";

    private static final Logger LOG = LoggerFactory.getLogger(DurableObjectCache.class);

    /** The index and the highest tick found (the logical clock continues from there). */
    record Loaded(Map<BucketKey, Bucket> buckets, long lastTick) {
    }

    private CacheLoader() {
    }

    static Loaded load(DurableStore store) {
        DurableMap meta = store.map(META_MAP);
        DurableMap entries = store.map(ENTRIES_MAP);
        Optional<String> format = meta.get(FORMAT_KEY).map(v -> new String(v, StandardCharsets.UTF_8));
        String problem;
        if (format.isEmpty()) {
            if (entries.size() == 0) {
                meta.put(FORMAT_KEY, formatBytes());
                return new Loaded(new HashMap<>(), 0);
            }
            problem = "it holds entries but no format marker";
        } else if (!format.get().equals(Integer.toString(DurableObjectCache.FORMAT_VERSION))) {
            problem = "it is in cache format " + format.get() + ", this build reads format " + DurableObjectCache.FORMAT_VERSION;
        } else {
            try {
                return read(entries);
            } catch (EntryCodec.UnreadableEntryException e) {
                problem = "an entry cannot be read (" + e.getMessage() + ")";
            }
        }
        reset(store, meta, entries, problem);
        return new Loaded(new HashMap<>(), 0);
    }

    private static Loaded read(DurableMap entries) {
        Map<BucketKey, Bucket> buckets = new HashMap<>();
        long[] lastTick = {0};
        entries.forEach((key, value) -> {
            EntryCodec.ParsedKey parsed = EntryCodec.parseKey(key);
            Bucket bucket = buckets.computeIfAbsent(parsed.bucket(), Bucket::new);
            if (parsed.isObject()) {
                ObjectFacts facts = EntryCodec.decodeObjectFacts(parsed.namespace(), parsed.name(), value);
                bucket.putObject(key, new Bucket.Indexed(facts, EntryCodec.storedBytes(key, value)));
            } else if (parsed.isList()) {
                ListRecord list = EntryCodec.decodeList(value);
                bucket.putList(key, list, EntryCodec.storedBytes(key, value));
                lastTick[0] = Math.max(lastTick[0], list.tick());
            } else {
                long tick = EntryCodec.decodeBucket(value);
                bucket.addBucketEntryBytes();
                bucket.touch(tick);
                lastTick[0] = Math.max(lastTick[0], tick);
            }
        });
        return new Loaded(buckets, lastTick[0]);
    }

    /**
     * Discards the cache's entries. The store file itself is not moved aside: DurableStore moves a
     * file aside only for problems it finds itself, not for one found in a map's content. A cache
     * refills from the API server, so discarding loses nothing that matters.
     */
    private static void reset(DurableStore store, DurableMap meta, DurableMap entries, String problem) {
        LOG.warn("Object cache in {}: {}; discarded its content and started with an empty cache", store.file(), problem);
        store.transaction(() -> {
            entries.clear();
            meta.put(FORMAT_KEY, formatBytes());
        });
    }

    private static byte[] formatBytes() {
        return Integer.toString(DurableObjectCache.FORMAT_VERSION).getBytes(StandardCharsets.UTF_8);
    }
}
