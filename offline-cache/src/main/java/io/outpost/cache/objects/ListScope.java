package io.outpost.cache.objects;

import java.util.Objects;

/**
 * Which list a client asked for: the cache's unit for recording lists
 * ({@link ObjectCache#replaceList(ListScope, String, java.util.List)}) and for answering them
 * ({@link ObjectCache#list(ListScope)}).
 *
 * <pre>{@code
 * // GET /api/v1/pods?fieldSelector=spec.nodeName%3Dedge-1 from the kubelet
 * ListScope scope = ListScope.of("kubelet", "/v1/pods", ObjectCache.ALL_NAMESPACES)
 *         .withFieldSelector(Selector.parseFields("spec.nodeName=edge-1"));
 * }</pre>
 *
 * @param client the client identity the answer is cached for (certificate CN or program name)
 * @param resource {@code group/version/resource}; the core group is empty: {@code /v1/pods}
 * @param namespace a namespace, or {@link ObjectCache#ALL_NAMESPACES} ("") for all namespaces and for
 *     cluster-scoped resources
 */
public record ListScope(String client, String resource, String namespace, Selector labelSelector, Selector fieldSelector) {

    public ListScope {
        Names.client(client);
        Names.resource(resource);
        Names.namespace(namespace);
        Objects.requireNonNull(labelSelector, "labelSelector");
        Objects.requireNonNull(fieldSelector, "fieldSelector");
        for (Selector.Requirement requirement : fieldSelector.requirements()) {
            if (!Selector.SUPPORTED_FIELDS.contains(requirement.key())) {
                throw new IllegalArgumentException("fieldSelector: '" + fieldSelector + "' (expected: a field selector"
                        + " from Selector.parseFields; '" + requirement.key() + "' is not a supported field)");
            }
        }
    }

    /** The scope of an unfiltered list. */
    public static ListScope of(String client, String resource, String namespace) {
        return new ListScope(client, resource, namespace, Selector.everything(), Selector.everything());
    }

    public ListScope withLabelSelector(Selector selector) {
        return new ListScope(client, resource, namespace, selector, fieldSelector);
    }

    public ListScope withFieldSelector(Selector selector) {
        return new ListScope(client, resource, namespace, labelSelector, selector);
    }

    /** Whether this is an all-namespaces (or cluster-scoped) list. */
    public boolean allNamespaces() {
        return namespace.isEmpty();
    }

    @Override
    public String toString() {
        return resource + " " + (namespace.isEmpty() ? "in all namespaces" : "in namespace " + namespace)
                + (labelSelector.isEverything() ? "" : " with labelSelector " + labelSelector)
                + (fieldSelector.isEverything() ? "" : " with fieldSelector " + fieldSelector)
                + " for client " + client;
    }
}
