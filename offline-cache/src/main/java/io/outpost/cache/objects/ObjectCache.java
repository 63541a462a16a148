package io.outpost.cache.objects;

import java.util.List;
import java.util.Optional;

/**
 * The node proxy's durable memory of API answers, per client: the objects a client got (GET, LIST,
 * WATCH) and which lists it got them from, so that while the API server is unreachable the same
 * client can be answered from the cache, selectors applied.
 *
 * <pre>{@code
 * try (ObjectCache cache = DurableObjectCache.open(dataDir.resolve("objects.db"), CacheBudget.defaults())) {
 *     ListScope scope = ListScope.of("kubelet", "/v1/pods", ObjectCache.ALL_NAMESPACES)
 *             .withFieldSelector(Selector.parseFields("spec.nodeName=edge-1"));
 *
 *     // online: record what the API server answered
 *     cache.replaceList(scope, podList.resourceVersion(), podList.itemsJson());  // LIST
 *     cache.recordObject("kubelet", "/v1/pods", event.objectJson());           // WATCH ADDED/MODIFIED
 *     cache.deleteObject("kubelet", "/v1/pods", "default", "web-0");            // WATCH DELETED
 *
 *     // offline: answer from the cache
 *     if (cache.list(scope) instanceof ListResult.Found found) {
 *         respond(200, found.resourceVersion(), found.items());
 *     } else {
 *         respond(503, "no cached list of " + scope);                     // never an empty list
 *     }
 *     Optional<CachedObject> pod = cache.get("kubelet", "/v1/pods", "default", "web-0");
 * }
 * }</pre>
 *
 * <h2>Keys</h2>
 * Everything is kept per client identity (a kubelet and a CNI plugin asking for the same pods get
 * separate entries, as each must only get what it was allowed to read) and per resource as
 * {@code group/version/resource}, the core group being empty: {@code /v1/pods},
 * {@code apps/v1/deployments}. Objects are keyed by namespace ("" when cluster-scoped) and name.
 *
 * <h2>Lists</h2>
 * A recorded list remembers the namespace ({@link #ALL_NAMESPACES} for all) and the selectors it
 * was fetched with; its items are the cached objects of that scope, so watch events and GETs recorded
 * after it keep it current, and a relist removes the objects that disappeared meanwhile. A request is
 * answered from the newest recorded list that holds everything it asks for: an unfiltered list
 * answers any selector, even one never asked for online, and an all-namespaces list answers any
 * namespace. Selectors are applied at read time.
 *
 * <h2>Guarantees</h2>
 * A write that returned {@code true} is on disk and survives {@code kill -9}; each write is one
 * transaction. The cache stays within its {@link CacheBudget}, evicting whole scopes; a write that
 * does not fit returns {@code false}. Methods are thread-safe. Arguments are checked: a malformed
 * client, resource, namespace, name or JSON throws {@link IllegalArgumentException} and writes
 * nothing. Storage failures surface as {@link io.outpost.cache.store.StoreException} or
 * {@link java.io.UncheckedIOException}; a caller that is online should keep forwarding.
 */
public interface ObjectCache extends AutoCloseable {

    /** The namespace of an all-namespaces list, and of cluster-scoped objects. */
    String ALL_NAMESPACES = "";

    /**
     * Records an object answered to {@code client} (a GET, or a watch event ADDED or MODIFIED).
     * {@code namespace} and {@code name} must be the object's {@code metadata.namespace} and
     * {@code metadata.name}.
     *
     * @return whether it is cached ({@code false}: over budget, see {@link CacheBudget})
     */
    boolean recordObject(String client, String resource, String namespace, String name, byte[] json);

    /** Like {@link #recordObject(String, String, String, String, byte[])}, namespace and name taken from the JSON. */
    boolean recordObject(String client, String resource, byte[] json);

    /**
     * Forgets an object (a watch event DELETED, or a GET answered 404).
     *
     * @return whether it was cached
     */
    boolean deleteObject(String client, String resource, String namespace, String name);

    /**
     * Records a complete list answer: the list's {@code metadata.resourceVersion} and its items, each an
     * object's JSON. In one transaction, the items are stored and the cached objects of the scope
     * (namespace, and matching the scope's selectors) that are not among them are removed.
     *
     * @param scope who asked, for which namespace, with which selectors
     * @return whether it is cached ({@code false}: over budget; any older list of this client and
     *     resource is then dropped too, so it is never served in place of this one)
     */
    boolean replaceList(ListScope scope, String listResourceVersion, List<byte[]> itemsJson);

    /** {@link #replaceList(ListScope, String, List)} for a list fetched without selectors. */
    default boolean replaceList(String client, String resource, String namespaceOrAll, String listResourceVersion,
                                List<byte[]> itemsJson) {
        return replaceList(ListScope.of(client, resource, namespaceOrAll), listResourceVersion, itemsJson);
    }

    /** The cached object, if {@code client} got it before (and it was not deleted or evicted since). */
    Optional<CachedObject> get(String client, String resource, String namespace, String name);

    /**
     * Answers a list from the cache: {@link ListResult.Found} with the items that match the scope's
     * namespace and selectors, or {@link ListResult.NeverListed} when no recorded list covers it.
     */
    ListResult list(ListScope scope);

    /** {@link #list(ListScope)} with the scope given piecewise. */
    default ListResult list(String client, String resource, String namespaceOrAll, Selector labelSelector,
                            Selector fieldSelector) {
        return list(new ListScope(client, resource, namespaceOrAll, labelSelector, fieldSelector));
    }

    /**
     * Runs the writes {@code writes} makes on this cache as one transaction (group commit): one
     * fsync for all of them, durable together when this returns, none of them if it throws. Readers
     * wait while it runs, so keep it short (a few hundred watch events, not a million). The default
     * runs the writes one by one, each committed on its own.
     *
     * <pre>{@code
     * cache.batch(() -> events.forEach(e -> cache.recordObject(client, resource, e.json())));
     * }</pre>
     */
    default void batch(Runnable writes) {
        writes.run();
    }

    /** The counters and sizes, now. */
    CacheStats stats();

    /** Releases the cache (and the store, if the cache opened it). Idempotent. */
    @Override
    void close();
}
