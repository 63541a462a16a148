package io.outpost.cache.objects;

import java.util.Objects;

/**
 * One object as the cache holds it.
 *
 * @param namespace "" for cluster-scoped objects
 * @param resourceVersion {@code metadata.resourceVersion} of the cached JSON ("" if it had none)
 * @param json the object's JSON exactly as recorded; a fresh array that the caller owns (the cache
 *     keeps no reference to it). As with any record holding an array, {@code equals} compares the
 *     array by identity.
 */
public record CachedObject(String namespace, String name, String resourceVersion, byte[] json) {

    public CachedObject {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(resourceVersion, "resourceVersion");
        Objects.requireNonNull(json, "json");
    }

    @Override
    public String toString() {
        return "CachedObject[" + (namespace.isEmpty() ? "" : namespace + "/") + name
                + ", resourceVersion=" + resourceVersion + ", " + json.length + " bytes]";
    }
}
