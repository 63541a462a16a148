package io.outpost.cache.objects;

import java.util.List;
import java.util.Objects;

/**
 * The answer to {@link ObjectCache#list(ListScope)}: either the cached items with the resource
 * version of the list they came from, or {@link NeverListed} when the cache holds no list that
 * covers the request.
 *
 * <pre>{@code
 * if (cache.list(scope) instanceof ListResult.Found found) {
 *     respond(200, listJson(found.resourceVersion(), found.items()));
 * } else {
 *     respond(503, status("no cached list for " + scope));   // never an empty list
 * }
 * }</pre>
 */
public sealed interface ListResult permits ListResult.Found, ListResult.NeverListed {

    /** Whether the cache could answer. */
    boolean found();

    /**
     * A cached answer: the matching items, ordered by namespace then name, possibly none (an empty
     * list the API server did return, or a selector that matches nothing).
     *
     * @param resourceVersion the {@code metadata.resourceVersion} of the list the answer was taken
     *     from; objects recorded since (watch events, GETs) are included, so items may be newer
     */
    record Found(String resourceVersion, List<CachedObject> items) implements ListResult {
        public Found {
            Objects.requireNonNull(resourceVersion, "resourceVersion");
            items = List.copyOf(items);
        }

        @Override
        public boolean found() {
            return true;
        }
    }

    /**
     * The cache never recorded a list that holds everything this request asks for (or it was evicted).
     * The caller must answer with an error, never with an empty list: an empty pod list tells a
     * kubelet that its pods were deleted, and it stops them.
     */
    record NeverListed() implements ListResult {
        @Override
        public boolean found() {
            return false;
        }
    }
}
