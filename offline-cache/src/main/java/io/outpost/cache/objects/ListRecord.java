package io.outpost.cache.objects;

/**
 * That a client's list of a resource was recorded: in which namespace ("" for all), with which
 * selectors the API server was asked, at which resourceVersion, and when (the cache's logical clock).
 * The items themselves are the bucket's objects: watch events and GETs recorded after the list keep
 * it current, and a relist ({@link ObjectCache#replaceList}) removes what the new list no longer has.
 */
record ListRecord(String namespace, Selector labelSelector, Selector fieldSelector, String resourceVersion, long tick) {

    /**
     * Whether this list holds every object {@code query} asks for: same or all namespaces, and the
     * query keeps every requirement this list was fetched with (it may add more: those are applied
     * when reading). An unfiltered list covers every selector, even one never asked for online.
     */
    boolean covers(ListScope query) {
        return (namespace.isEmpty() || namespace.equals(query.namespace()))
                && query.labelSelector().includesAllOf(labelSelector)
                && query.fieldSelector().includesAllOf(fieldSelector);
    }
}
