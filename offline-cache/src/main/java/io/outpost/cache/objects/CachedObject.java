package io.outpost.cache.objects;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * One object as the cache holds it: its namespace ("" for cluster-scoped objects), name,
 * {@code metadata.resourceVersion} ("" if it had none) and JSON exactly as recorded.
 *
 * <p>The JSON is shared with the cache's in-memory copy, not copied per read: a proxy answering a
 * 1,000-item list from the cache would otherwise copy every item once more only to write it out.
 * {@link #jsonView()} hands it out read-only and uncopied; {@link #json()} gives a copy the caller owns.
 */
public final class CachedObject {

    private final String namespace;
    private final String name;
    private final String resourceVersion;
    private final byte[] json;

    CachedObject(String namespace, String name, String resourceVersion, byte[] json) {
        this.namespace = Objects.requireNonNull(namespace, "namespace");
        this.name = Objects.requireNonNull(name, "name");
        this.resourceVersion = Objects.requireNonNull(resourceVersion, "resourceVersion");
        this.json = Objects.requireNonNull(json, "json");
    }

    public String namespace() {
        return namespace;
    }

    public String name() {
        return name;
    }

    public String resourceVersion() {
        return resourceVersion;
    }

    /** A copy of the object's JSON, exactly as recorded. */
    public byte[] json() {
        return json.clone();
    }

    /** The object's JSON, exactly as recorded, as a read-only view of the cache's copy (nothing is copied). */
    public ByteBuffer jsonView() {
        return ByteBuffer.wrap(json).asReadOnlyBuffer();
    }

    @Override
    public String toString() {
        return "CachedObject[" + (namespace.isEmpty() ? "" : namespace + "/") + name
                + ", resourceVersion=" + resourceVersion + ", " + json.length + " bytes]";
    }
}
