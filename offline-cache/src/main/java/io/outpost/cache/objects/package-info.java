/**
 * The durable API object cache of the node proxy: what each node component (kubelet, kube-proxy,
 * CNI plugins) got from the API server, kept on disk so that it can be answered while the API
 * server is unreachable, even after a restart or a {@code kill -9}.
 *
 * <ul>
 *   <li>{@link io.outpost.cache.objects.ObjectCache}: the interface the proxy uses; record answers
 *       online, read them offline.</li>
 *   <li>{@link io.outpost.cache.objects.DurableObjectCache}: the implementation on
 *       {@link io.outpost.cache.store.DurableStore}; its Javadoc documents storage, the eviction policy
 *       and what happens to bad files.</li>
 *   <li>{@link io.outpost.cache.objects.Selector} and {@link io.outpost.cache.objects.ListScope}:
 *       label and field selectors, and which list a client asked for.</li>
 *   <li>{@link io.outpost.cache.objects.CacheBudget} and {@link io.outpost.cache.objects.CacheStats}:
 *       the byte budget and the counters to export as metrics.</li>
 * </ul>
 */
package io.outpost.cache.objects;
