package io.outpost.cache.objects;

import java.util.Map;

/**
 * A snapshot of the object cache's counters. Hits, misses, evictions and rejected writes count since
 * the cache was opened; bytes and entries are what the cache holds now.
 *
 * @param hits {@code get} calls that found the object plus {@code list} calls that found a covering list
 * @param misses {@code get} calls that did not, plus {@code list} calls answered {@link ListResult.NeverListed}
 * @param bytes bytes held (see {@link CacheBudget})
 * @param maxBytes the total budget
 * @param entries objects held (list records not counted)
 * @param evictions scopes (a client's cached objects and lists of one resource) evicted to stay in budget
 * @param rejectedWrites writes not cached because their scope alone would exceed its client's quota
 * @param clients the same per client identity, for clients holding data or counted since opening
 */
public record CacheStats(long hits, long misses, long bytes, long maxBytes, long entries, long evictions,
                         long rejectedWrites, Map<String, Client> clients) {

    public CacheStats {
        clients = Map.copyOf(clients);
    }

    /** One client's share; {@code quotaBytes} is its quota from the {@link CacheBudget}. */
    public record Client(long hits, long misses, long bytes, long quotaBytes, long entries, long evictions,
                         long rejectedWrites) {
    }
}
