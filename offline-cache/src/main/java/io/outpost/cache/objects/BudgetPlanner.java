package io.outpost.cache.objects;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides which buckets a write evicts so that the cache stays within its {@link CacheBudget}.
 *
 * <ol>
 *   <li>If the bucket being written would alone exceed its client's quota (capped at the total),
 *       the write is rejected: nothing else is evicted for it, and the bucket itself is dropped
 *       rather than left behind without the change (a list missing an object is worse than none).</li>
 *   <li>While the writing client would exceed its quota, its own least-recently-used other buckets
 *       go: a client that outgrows its share pays with its own data, not with the kubelet's.</li>
 *   <li>While the total would exceed {@code maxBytes}, the least-recently-used buckets of any client
 *       go.</li>
 * </ol>
 * The bucket being written is never evicted to make room for itself.
 */
final class BudgetPlanner {

    /** Oldest use first; the key breaks ties so that the order is deterministic. */
    private static final Comparator<Bucket> LEAST_RECENTLY_USED = Comparator.comparingLong(Bucket::lastUsed)
            .thenComparing(Bucket::client).thenComparing(b -> b.key().resource());

    /** What to do: evict {@code evicted}, and write the change unless {@code rejected}. */
    record Plan(List<Bucket> evicted, boolean rejected) {
        static final Plan NOTHING = new Plan(List.of(), false);
        static final Plan REJECT = new Plan(List.of(), true);
    }

    private final CacheBudget budget;
    private final List<Bucket> candidates;
    private final Map<String, Long> clientBytes = new HashMap<>();
    private final Set<Bucket> evicted = new LinkedHashSet<>(); // buckets compare by identity
    private long totalBytes;

    private BudgetPlanner(CacheBudget budget, Collection<Bucket> buckets, Bucket target, long targetBytesAfter) {
        this.budget = budget;
        this.candidates = new ArrayList<>();
        for (Bucket bucket : buckets) {
            if (bucket != target) {
                candidates.add(bucket);
                count(bucket.client(), bucket.bytes());
            }
        }
        candidates.sort(LEAST_RECENTLY_USED);
        if (target != null) {
            count(target.client(), targetBytesAfter);
        }
    }

    /**
     * Plans a write to {@code target} that leaves it at {@code targetBytesAfter} bytes.
     */
    static Plan forWrite(CacheBudget budget, Collection<Bucket> buckets, Bucket target, long targetBytesAfter) {
        if (targetBytesAfter > budget.quotaFor(target.client())) {
            return Plan.REJECT;
        }
        BudgetPlanner planner = new BudgetPlanner(budget, buckets, target, targetBytesAfter);
        planner.fitClient(target.client());
        planner.fitTotal();
        return planner.plan();
    }

    /** Plans bringing the content within budget, e.g. after opening it with a smaller budget. */
    static Plan forContent(CacheBudget budget, Collection<Bucket> buckets) {
        BudgetPlanner planner = new BudgetPlanner(budget, buckets, null, 0);
        for (String client : new ArrayList<>(planner.clientBytes.keySet())) {
            planner.fitClient(client);
        }
        planner.fitTotal();
        return planner.plan();
    }

    private void fitClient(String client) {
        long quota = budget.quotaFor(client);
        for (Bucket bucket : candidates) {
            if (clientBytes.getOrDefault(client, 0L) <= quota) {
                return;
            }
            if (bucket.client().equals(client)) {
                evict(bucket);
            }
        }
    }

    private void fitTotal() {
        for (Bucket bucket : candidates) {
            if (totalBytes <= budget.maxBytes()) {
                return;
            }
            if (!evicted.contains(bucket)) {
                evict(bucket);
            }
        }
    }

    private void evict(Bucket bucket) {
        evicted.add(bucket);
        count(bucket.client(), -bucket.bytes());
    }

    private void count(String client, long bytes) {
        clientBytes.merge(client, bytes, Long::sum);
        totalBytes += bytes;
    }

    private Plan plan() {
        return evicted.isEmpty() ? Plan.NOTHING : new Plan(List.copyOf(evicted), false);
    }
}
