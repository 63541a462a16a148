package io.outpost.cache.objects;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * What the cache needs to know about an object without reading its JSON again: identity, version,
 * and the values selectors look at. Kept in memory for every cached object, so that a filtered list
 * parses no JSON at all (a 1,000-pod list filtered by node would otherwise parse megabytes).
 *
 * @param namespace "" for cluster-scoped objects
 * @param nodeName {@code spec.nodeName}, "" when absent (an unscheduled pod, or not a pod)
 * @param phase {@code status.phase}, "" when absent
 */
record ObjectFacts(String namespace, String name, String resourceVersion, Map<String, String> labels,
                   String nodeName, String phase) implements Function<String, String> {

    ObjectFacts {
        // Namespaces, node names, phases and label pairs repeat across thousands of objects: the
        // index keeps one copy of each (interned strings are collected once nothing refers to them).
        namespace = Objects.requireNonNull(namespace, "namespace").intern();
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(resourceVersion, "resourceVersion");
        labels = canonical(labels);
        nodeName = Objects.requireNonNull(nodeName, "nodeName").intern();
        phase = Objects.requireNonNull(phase, "phase").intern();
    }

    private static Map<String, String> canonical(Map<String, String> labels) {
        if (labels.isEmpty()) {
            return Map.of();
        }
        Map<String, String> interned = new HashMap<>(labels.size() * 2);
        labels.forEach((key, value) -> interned.put(key.intern(), value.intern()));
        return Map.copyOf(interned);
    }

    /**
     * The value of one of {@link Selector#SUPPORTED_FIELDS}. Absent fields read as "", as the API
     * server's field sets do: {@code spec.nodeName=} selects unscheduled pods.
     */
    String field(String path) {
        return switch (path) {
            case "metadata.name" -> name;
            case "metadata.namespace" -> namespace;
            case "spec.nodeName" -> nodeName;
            case "status.phase" -> phase;
            default -> throw new IllegalArgumentException("field: " + path + " (expected one of " + Selector.SUPPORTED_FIELDS + ")");
        };
    }

    /** {@link #field}, so that a field selector reads these facts without a lambda per object. */
    @Override
    public String apply(String path) {
        return field(path);
    }

    boolean matches(Selector labelSelector, Selector fieldSelector) {
        return labelSelector.matches(labels) && fieldSelector.matches(this);
    }
}
