package io.outpost.cache.objects;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.outpost.cache.store.DurableMap;
import io.outpost.cache.store.DurableStore;

/**
 * The {@link ObjectCache} on a {@link DurableStore} (MapDB, transactions on, checksummed values).
 *
 * <pre>{@code
 * ObjectCache cache = DurableObjectCache.open(dataDir.resolve("objects.db"), CacheBudget.defaults());
 * // or, sharing a store the caller owns:  DurableObjectCache.attach(store, budget)
 * }</pre>
 *
 * <h2>Storage</h2>
 * Two maps in the store: {@code objects.meta} holds the cache format version ({@value #FORMAT_VERSION});
 * {@code objects.entries} holds objects, list records and per-bucket recency (layout in
 * {@code EntryCodec}). An index of every object's metadata, labels and selectable fields is kept in
 * memory (some 500 bytes per object), so filtering a list parses no JSON and reads only the items
 * it returns; those come from a bounded in-memory copy of recently used JSON
 * ({@link CacheBudget#memoryBytes()}) or else from disk. Opening rebuilds the index from the
 * entries' headers. A file the store cannot read, or from an unknown store format, is moved aside by
 * {@link DurableStore#openOrReset}; cache content from an unknown cache format, or that cannot be
 * decoded, is discarded with a WARN.
 *
 * <h2>Budget and eviction</h2>
 * The unit of eviction is a bucket: one client's objects and lists of one resource, dropped
 * together so that no list is ever answered with some of its objects missing (an eviction turns
 * its lists into {@link ListResult.NeverListed}). Buckets are ranked by last use: any
 * {@code get}, {@code list} or write for them (online the proxy records every answer it forwards, so
 * a bucket a client keeps asking for stays recent; one nobody asks for ages out). A write that would
 * take its client over its quota evicts that client's least recently used buckets; one that would
 * take the cache over {@link CacheBudget#maxBytes()} evicts anyone's least recently used buckets; a
 * bucket that would alone exceed its client's quota is dropped and the write rejected. Recency is
 * persisted with each write, so after a restart the order is that of the last writes.
 */
public final class DurableObjectCache implements ObjectCache {

    /** The cache format version: the layout of the entries inside the store. */
    public static final int FORMAT_VERSION = 1;

    private static final Logger LOG = LoggerFactory.getLogger(DurableObjectCache.class);

    private final DurableStore store;
    private final boolean ownsStore;
    private final CacheBudget budget;
    private final DurableMap entries;
    private final Map<BucketKey, Bucket> buckets;
    /** Logical clock for recency: exact, cheap, and immune to wall-clock jumps on edge boxes. */
    private final AtomicLong clock;
    private final CacheCounters counters = new CacheCounters();
    private final HotJson hot;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private volatile boolean closed;

    private DurableObjectCache(DurableStore store, boolean ownsStore, CacheBudget budget) {
        this.store = store;
        this.ownsStore = ownsStore;
        this.budget = Objects.requireNonNull(budget, "budget");
        this.hot = new HotJson(budget.memoryBytes());
        CacheLoader.Loaded loaded = CacheLoader.load(store);
        this.entries = store.map(CacheLoader.ENTRIES_MAP);
        this.buckets = loaded.buckets();
        this.clock = new AtomicLong(loaded.lastTick());
        enforceBudget();
        LOG.info("Object cache {}: {} objects in {} buckets, {} bytes (budget {})", store.file(),
                buckets.values().stream().mapToLong(Bucket::objectCount).sum(), buckets.size(), totalBytes(), budget.maxBytes());
    }

    /**
     * Opens (creating if missing) the cache in its own store file, moving a corrupt or unsupported
     * file aside (see {@link DurableStore#openOrReset(Path)}). {@link #close()} closes the store.
     *
     * @throws io.outpost.cache.store.StoreLockedException if another process has the file open
     */
    public static DurableObjectCache open(Path file, CacheBudget budget) {
        Objects.requireNonNull(budget, "budget");
        DurableStore store = DurableStore.openOrReset(file);
        try {
            return new DurableObjectCache(store, true, budget);
        } catch (RuntimeException | Error e) {
            store.close();
            throw e;
        }
    }

    /** A cache in a store the caller opened and will close; it uses the maps {@code objects.*}. */
    public static DurableObjectCache attach(DurableStore store, CacheBudget budget) {
        return new DurableObjectCache(Objects.requireNonNull(store, "store"), false, budget);
    }

    // ------------------------------------------------------------------------------------------
    // Writes

    @Override
    public boolean recordObject(String client, String resource, String namespace, String name, byte[] json) {
        BucketKey key = bucketKey(client, resource);
        Names.namespace(namespace);
        Names.name(name);
        ObjectFacts facts = ObjectJson.read(Objects.requireNonNull(json, "json"));
        if (!facts.namespace().equals(namespace) || !facts.name().equals(name)) {
            throw new IllegalArgumentException("json: an object '" + facts.namespace() + "/" + facts.name()
                    + "' (expected: metadata.namespace '" + namespace + "' and metadata.name '" + name + "')");
        }
        return writeObject(key, facts, json);
    }

    @Override
    public boolean recordObject(String client, String resource, byte[] json) {
        BucketKey key = bucketKey(client, resource);
        ObjectFacts facts = ObjectJson.read(Objects.requireNonNull(json, "json"));
        Names.namespace(facts.namespace());
        Names.name(facts.name());
        return writeObject(key, facts, json);
    }

    private boolean writeObject(BucketKey key, ObjectFacts facts, byte[] json) {
        String storeKey = EntryCodec.objectKey(key, facts.namespace(), facts.name());
        return write(key, change -> change.putObjectIfChanged(storeKey, facts, json));
    }

    @Override
    public boolean deleteObject(String client, String resource, String namespace, String name) {
        BucketKey key = bucketKey(client, resource);
        String storeKey = EntryCodec.objectKey(key, Names.namespace(namespace), Names.name(name));
        boolean[] present = {false};
        write(key, change -> {
            present[0] = change.bucket().object(storeKey) != null;
            if (present[0]) {
                change.removeObject(storeKey);
            }
        });
        return present[0];
    }

    @Override
    public boolean replaceList(ListScope scope, String listResourceVersion, List<byte[]> itemsJson) {
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(listResourceVersion, "listResourceVersion");
        List<ObjectFacts> items = ObjectJson.readItems(scope, Objects.requireNonNull(itemsJson, "itemsJson"));
        return write(new BucketKey(scope.client(), scope.resource()),
                change -> change.replaceList(scope, listResourceVersion, items, itemsJson, clock.incrementAndGet()));
    }

    /**
     * One store transaction for all writes of {@code writes}: each write still plans its budget and
     * updates the index as it goes (under the write lock, so no reader sees the index ahead of the
     * file), and if the transaction rolls back the index is rebuilt from the file, which is then
     * the truth.
     */
    @Override
    public void batch(Runnable writes) {
        Objects.requireNonNull(writes, "writes");
        lock.writeLock().lock();
        try {
            ensureOpen();
            try {
                store.transaction(writes);
            } catch (RuntimeException | Error e) {
                reloadIndex();
                throw e;
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Caller holds the write lock. */
    private void reloadIndex() {
        CacheLoader.Loaded loaded = CacheLoader.load(store);
        buckets.clear();
        buckets.putAll(loaded.buckets());
        hot.clear();
        clock.accumulateAndGet(loaded.lastTick(), Math::max);
    }

    /** Prepares a change under the write lock, checks the budget, commits it, then updates the index. */
    private boolean write(BucketKey key, Consumer<BucketChange> prepare) {
        lock.writeLock().lock();
        try {
            ensureOpen();
            Bucket existing = buckets.get(key);
            BucketChange change = new BucketChange(existing != null ? existing : new Bucket(key), existing == null);
            prepare.accept(change);
            if (change.isEmpty()) {
                change.bucket().touch(clock.incrementAndGet());
                return true;
            }
            return commit(change);
        } finally {
            lock.writeLock().unlock();
        }
    }

    private boolean commit(BucketChange change) {
        Bucket target = change.bucket();
        BudgetPlanner.Plan plan = BudgetPlanner.forWrite(budget, buckets.values(), target, change.bytesAfter());
        long tick = clock.incrementAndGet();
        store.transaction(() -> {
            plan.evicted().forEach(this::removeEntries);
            if (plan.rejected()) {
                if (!change.isNewBucket()) {
                    removeEntries(target);
                }
            } else {
                change.writeTo(entries, tick);
            }
        });
        plan.evicted().forEach(bucket -> evicted(bucket, bucket.client().equals(target.client())
                ? "to keep " + target.client() + " within its quota" : "to keep the cache within its budget"));
        if (plan.rejected()) {
            rejected(change);
            return false;
        }
        change.applyTo(tick, hot);
        buckets.putIfAbsent(target.key(), target);
        return true;
    }

    /** Caller is inside a store transaction. */
    private void removeEntries(Bucket bucket) {
        bucket.storeKeys().forEach(entries::remove);
    }

    private void forget(Bucket bucket) {
        buckets.remove(bucket.key());
        bucket.storeKeys().forEach(hot::remove);
    }

    private void evicted(Bucket bucket, String why) {
        forget(bucket);
        counters.of(bucket.client()).evictions.increment();
        LOG.info("Object cache evicted {} ({} objects, {} bytes, least recently used) {}", bucket.key(),
                bucket.objectCount(), bucket.bytes(), why);
    }

    /** A WARN: a scope that does not fit its client's quota is a configuration problem, not churn. */
    private void rejected(BucketChange change) {
        Bucket target = change.bucket();
        counters.of(target.client()).rejectedWrites.increment();
        LOG.warn("Object cache: {} would take {} bytes, over the quota of {} bytes of client {}; not cached{}."
                        + " Raise the quota to cache it.", target.key(), change.bytesAfter(), budget.quotaFor(target.client()),
                target.client(), change.isNewBucket() ? "" : " and its cached lists and objects dropped");
        if (!change.isNewBucket()) {
            forget(target);
        }
    }

    /** After opening with a smaller budget than the content's size. */
    private void enforceBudget() {
        BudgetPlanner.Plan plan = BudgetPlanner.forContent(budget, buckets.values());
        if (!plan.evicted().isEmpty()) {
            store.transaction(() -> plan.evicted().forEach(this::removeEntries));
            plan.evicted().forEach(bucket -> evicted(bucket, "as the cache was over its budget when opened"));
        }
    }

    // ------------------------------------------------------------------------------------------
    // Reads

    @Override
    public Optional<CachedObject> get(String client, String resource, String namespace, String name) {
        BucketKey key = bucketKey(client, resource);
        String storeKey = EntryCodec.objectKey(key, Names.namespace(namespace), Names.name(name));
        return read(() -> {
            Bucket bucket = buckets.get(key);
            Bucket.Indexed object = bucket == null ? null : bucket.object(storeKey);
            CacheCounters.Client counted = counters.of(client);
            if (object == null) {
                counted.misses.increment();
                return Optional.empty();
            }
            bucket.touch(clock.incrementAndGet());
            counted.hits.increment();
            return Optional.of(load(storeKey, object.facts()));
        });
    }

    @Override
    public ListResult list(ListScope scope) {
        Objects.requireNonNull(scope, "scope");
        return read(() -> {
            Bucket bucket = buckets.get(new BucketKey(scope.client(), scope.resource()));
            ListRecord list = bucket == null ? null : bucket.coveringList(scope);
            CacheCounters.Client counted = counters.of(scope.client());
            if (list == null) {
                counted.misses.increment();
                return new ListResult.NeverListed();
            }
            bucket.touch(clock.incrementAndGet());
            List<CachedObject> items = new ArrayList<>();
            bucket.objectsIn(scope.namespace()).forEach((storeKey, object) -> {
                if (object.facts().matches(scope.labelSelector(), scope.fieldSelector())) {
                    items.add(load(storeKey, object.facts()));
                }
            });
            counted.hits.increment();
            return new ListResult.Found(list.resourceVersion(), items);
        });
    }

    /**
     * Caller holds the read lock: no write runs, so the entry is there (the index follows commits) and
     * what it puts into {@code hot} is current.
     */
    private CachedObject load(String storeKey, ObjectFacts facts) {
        byte[] json = hot.get(storeKey);
        if (json == null) {
            byte[] value = entries.get(storeKey).orElseThrow(() -> new IllegalStateException(
                    "Object cache index lists " + facts.namespace() + "/" + facts.name() + " but store " + store.file()
                            + " has no entry for it; the cache is inconsistent, reopen it"));
            json = EntryCodec.objectJson(value);
            hot.put(storeKey, json);
        }
        return new CachedObject(facts.namespace(), facts.name(), facts.resourceVersion(), json);
    }

    @Override
    public CacheStats stats() {
        return read(() -> counters.snapshot(buckets.values(), budget));
    }

    private long totalBytes() {
        return buckets.values().stream().mapToLong(Bucket::bytes).sum();
    }

    private <T> T read(Supplier<T> body) {
        lock.readLock().lock();
        try {
            ensureOpen();
            return body.get();
        } finally {
            lock.readLock().unlock();
        }
    }

    // ------------------------------------------------------------------------------------------
    // Lifecycle

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            if (ownsStore) {
                store.close();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "DurableObjectCache[" + store.file() + (closed ? ", closed" : "") + "]";
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("Object cache on " + store.file() + " is closed");
        }
    }

    private static BucketKey bucketKey(String client, String resource) {
        return new BucketKey(Names.client(client), Names.resource(resource));
    }
}
