package io.outpost.cache.objects;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Hit, miss, eviction and rejection counters per client; thread-safe, kept in memory only. */
final class CacheCounters {

    /** One client's counters. */
    static final class Client {
        final LongAdder hits = new LongAdder();
        final LongAdder misses = new LongAdder();
        final LongAdder evictions = new LongAdder();
        final LongAdder rejectedWrites = new LongAdder();
    }

    private final Map<String, Client> clients = new ConcurrentHashMap<>();

    Client of(String client) {
        return clients.computeIfAbsent(client, c -> new Client());
    }

    /** The counters with the sizes of {@code buckets}; the caller keeps the buckets from changing. */
    CacheStats snapshot(Collection<Bucket> buckets, CacheBudget budget) {
        Map<String, long[]> held = new HashMap<>(); // client -> {bytes, entries}
        for (Bucket bucket : buckets) {
            long[] sums = held.computeIfAbsent(bucket.client(), c -> new long[2]);
            sums[0] += bucket.bytes();
            sums[1] += bucket.objectCount();
        }
        Set<String> names = new HashSet<>(held.keySet());
        names.addAll(clients.keySet());
        Map<String, CacheStats.Client> perClient = new HashMap<>();
        long hits = 0, misses = 0, bytes = 0, entries = 0, evictions = 0, rejected = 0;
        for (String name : names) {
            long[] sums = held.getOrDefault(name, new long[2]);
            Client c = of(name);
            CacheStats.Client stats = new CacheStats.Client(c.hits.sum(), c.misses.sum(), sums[0],
                    budget.quotaFor(name), sums[1], c.evictions.sum(), c.rejectedWrites.sum());
            perClient.put(name, stats);
            hits += stats.hits();
            misses += stats.misses();
            bytes += stats.bytes();
            entries += stats.entries();
            evictions += stats.evictions();
            rejected += stats.rejectedWrites();
        }
        return new CacheStats(hits, misses, bytes, budget.maxBytes(), entries, evictions, rejected, perClient);
    }
}
