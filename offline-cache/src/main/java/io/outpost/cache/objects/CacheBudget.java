package io.outpost.cache.objects;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How many bytes the object cache may hold, in total and per client.
 *
 * <p>Bytes are those of the entries the cache writes (keys and values: each object's JSON plus a
 * small header, list records); the store file is larger by the storage engine's overhead and free
 * space. When a write would exceed a client's quota, that client's least-recently-used scopes are
 * evicted; when it would exceed {@link #maxBytes()}, the least-recently-used scopes of any client
 * are. See {@link DurableObjectCache} for the whole policy.
 *
 * <pre>{@code
 * CacheBudget budget = CacheBudget.defaults()
 *         .withClientQuota("kubelet", 96L << 20);        // the kubelet's pods matter most
 * }</pre>
 *
 * @param maxBytes the total budget ({@link #DEFAULT_MAX_BYTES} by default)
 * @param defaultClientQuotaBytes what one client may hold unless {@code clientQuotaBytes} names it
 *     ({@link #DEFAULT_CLIENT_QUOTA_BYTES}); a quota above {@code maxBytes} acts as {@code maxBytes}
 * @param clientQuotaBytes per-client quotas, by client identity
 * @param memoryBytes how much recently used JSON is also kept in memory, so that hot lists are
 *     answered without disk reads ({@link #DEFAULT_MEMORY_BYTES}; 0 turns that off). Not part of
 *     {@code maxBytes}: that is the disk budget.
 */
public record CacheBudget(long maxBytes, long defaultClientQuotaBytes, Map<String, Long> clientQuotaBytes,
                          long memoryBytes) {

    /** 128 MiB: room for some 30,000 typical objects, small next to an edge box's disk. */
    public static final long DEFAULT_MAX_BYTES = 128L << 20;

    /** 64 MiB: half the default total, so no single client can push all others out. */
    public static final long DEFAULT_CLIENT_QUOTA_BYTES = 64L << 20;

    /** 16 MiB: a few thousand typical objects, the lists node components ask for again and again. */
    public static final long DEFAULT_MEMORY_BYTES = 16L << 20;

    public CacheBudget {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes: " + maxBytes + " (expected: > 0)");
        }
        if (defaultClientQuotaBytes <= 0) {
            throw new IllegalArgumentException("defaultClientQuotaBytes: " + defaultClientQuotaBytes + " (expected: > 0)");
        }
        clientQuotaBytes = Map.copyOf(Objects.requireNonNull(clientQuotaBytes, "clientQuotaBytes"));
        clientQuotaBytes.forEach((client, quota) -> {
            Names.client(client);
            if (quota <= 0) {
                throw new IllegalArgumentException("clientQuotaBytes[" + client + "]: " + quota + " (expected: > 0)");
            }
        });
        if (memoryBytes < 0) {
            throw new IllegalArgumentException("memoryBytes: " + memoryBytes + " (expected: >= 0)");
        }
    }

    /** A budget with {@link #DEFAULT_MEMORY_BYTES} of memory. */
    public CacheBudget(long maxBytes, long defaultClientQuotaBytes, Map<String, Long> clientQuotaBytes) {
        this(maxBytes, defaultClientQuotaBytes, clientQuotaBytes, DEFAULT_MEMORY_BYTES);
    }

    /** {@link #DEFAULT_MAX_BYTES} in total, {@link #DEFAULT_CLIENT_QUOTA_BYTES} per client. */
    public static CacheBudget defaults() {
        return new CacheBudget(DEFAULT_MAX_BYTES, DEFAULT_CLIENT_QUOTA_BYTES, Map.of());
    }

    /** {@code maxBytes} in total, half of it per client. */
    public static CacheBudget ofMaxBytes(long maxBytes) {
        return new CacheBudget(maxBytes, Math.max(1, maxBytes / 2), Map.of());
    }

    /** A copy with {@code client}'s quota set to {@code bytes}. */
    public CacheBudget withClientQuota(String client, long bytes) {
        Map<String, Long> quotas = new HashMap<>(clientQuotaBytes);
        quotas.put(client, bytes);
        return new CacheBudget(maxBytes, defaultClientQuotaBytes, quotas, memoryBytes);
    }

    /** A copy with the default per-client quota set to {@code bytes}. */
    public CacheBudget withDefaultClientQuota(long bytes) {
        return new CacheBudget(maxBytes, bytes, clientQuotaBytes, memoryBytes);
    }

    /** A copy with {@link #memoryBytes()} set to {@code bytes}. */
    public CacheBudget withMemoryBytes(long bytes) {
        return new CacheBudget(maxBytes, defaultClientQuotaBytes, clientQuotaBytes, bytes);
    }

    /** What {@code client} may hold: its quota, capped at {@link #maxBytes()}. */
    public long quotaFor(String client) {
        return Math.min(maxBytes, clientQuotaBytes.getOrDefault(client, defaultClientQuotaBytes));
    }
}
