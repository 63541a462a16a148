package io.outpost.cache.objects;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Keys and values of the cache's entries in its {@link io.outpost.cache.store.DurableMap} (cache
 * format version {@value #VERSION}). Every key starts with {@code client NUL resource NUL kind}, so a
 * bucket's entries are contiguous and a key alone says what it holds:
 * <ul>
 *   <li>{@code client NUL resource NUL o NUL namespace NUL name}: an object. Value: version byte,
 *       header length (int), header (resourceVersion, spec.nodeName, status.phase, label count and
 *       labels), then the JSON as recorded.</li>
 *   <li>{@code client NUL resource NUL l NUL namespace NUL labelSelector NUL fieldSelector}: a list
 *       record (selectors in canonical form). Value: version byte, namespace, both selectors,
 *       resourceVersion, tick.</li>
 *   <li>{@code client NUL resource NUL b}: the bucket. Value: version byte, tick of its last write
 *       (restores least-recently-used order after a restart).</li>
 * </ul>
 * Strings in values are an int length and UTF-8 bytes. NUL cannot occur in clients, resources,
 * namespaces, names or label selectors (checked), which keeps the keys unambiguous. The header
 * duplicates what selectors need from the JSON so that opening the cache parses no JSON.
 */
final class EntryCodec {

    static final byte VERSION = 1;
    private static final char SEP = '\u0000';
    private static final String OBJECT = "o";
    private static final String LIST = "l";
    private static final String BUCKET = "b";

    private EntryCodec() {
    }

    // ------------------------------------------------------------------------------------------
    // Keys

    static String objectKey(BucketKey bucket, String namespace, String name) {
        return prefix(bucket) + OBJECT + SEP + namespace + SEP + name;
    }

    /** The first and one-past-last object keys of {@code namespace} ("" for all) in a bucket. */
    static String[] objectRange(BucketKey bucket, String namespace) {
        String low = prefix(bucket) + OBJECT + SEP + (namespace.isEmpty() ? "" : namespace + SEP);
        String high = namespace.isEmpty() ? prefix(bucket) + OBJECT + (char) (SEP + 1) : low.substring(0, low.length() - 1) + (char) (SEP + 1);
        return new String[] {low, high};
    }

    static String listKey(BucketKey bucket, String namespace, Selector labels, Selector fields) {
        return prefix(bucket) + LIST + SEP + namespace + SEP + labels + SEP + fields;
    }

    static String bucketKey(BucketKey bucket) {
        return prefix(bucket) + BUCKET;
    }

    private static String prefix(BucketKey bucket) {
        return bucket.client() + SEP + bucket.resource() + SEP;
    }

    /** A key split into bucket, kind ({@code o}, {@code l}, {@code b}) and, for objects, namespace and name. */
    record ParsedKey(BucketKey bucket, String kind, String namespace, String name) {
        boolean isObject() {
            return OBJECT.equals(kind);
        }

        boolean isList() {
            return LIST.equals(kind);
        }
    }

    static ParsedKey parseKey(String key) {
        String[] parts = key.split(String.valueOf(SEP), 5);
        if (parts.length < 3) {
            throw new UnreadableEntryException("key with " + parts.length + " parts: " + printable(key));
        }
        BucketKey bucket = new BucketKey(parts[0], parts[1]);
        switch (parts[2]) {
            case OBJECT:
                if (parts.length != 5) {
                    throw new UnreadableEntryException("object key without namespace and name: " + printable(key));
                }
                return new ParsedKey(bucket, OBJECT, parts[3], parts[4]);
            case LIST:
            case BUCKET:
                return new ParsedKey(bucket, parts[2], null, null);
            default:
                throw new UnreadableEntryException("key of unknown kind '" + parts[2] + "': " + printable(key));
        }
    }

    static int storedBytes(String key, byte[] value) {
        return key.getBytes(StandardCharsets.UTF_8).length + value.length;
    }

    // ------------------------------------------------------------------------------------------
    // Values

    static byte[] encodeObject(ObjectFacts facts, byte[] json) {
        Writer header = new Writer();
        header.string(facts.resourceVersion()).string(facts.nodeName()).string(facts.phase());
        header.integer(facts.labels().size());
        facts.labels().forEach((k, v) -> header.string(k).string(v));
        byte[] head = header.bytes();
        return ByteBuffer.allocate(1 + 4 + head.length + json.length)
                .put(VERSION).putInt(head.length).put(head).put(json).array();
    }

    static ObjectFacts decodeObjectFacts(String namespace, String name, byte[] value) {
        ByteBuffer in = versioned(value);
        try {
            int headerLength = in.getInt();
            ByteBuffer header = in.slice().limit(headerLength);
            String resourceVersion = string(header);
            String nodeName = string(header);
            String phase = string(header);
            int count = header.getInt();
            Map<String, String> labels = new HashMap<>();
            for (int i = 0; i < count; i++) {
                labels.put(string(header), string(header));
            }
            return new ObjectFacts(namespace, name, resourceVersion, labels, nodeName, phase);
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw new UnreadableEntryException("object entry " + namespace + "/" + name + " has a malformed header");
        }
    }

    static byte[] objectJson(byte[] value) {
        ByteBuffer in = versioned(value);
        int headerLength = in.getInt();
        return Arrays.copyOfRange(value, 1 + 4 + headerLength, value.length);
    }

    static byte[] encodeList(ListRecord list) {
        return new Writer().version().string(list.namespace()).string(list.labelSelector().toString())
                .string(list.fieldSelector().toString()).string(list.resourceVersion()).longValue(list.tick()).bytes();
    }

    static ListRecord decodeList(byte[] value) {
        ByteBuffer in = versioned(value);
        try {
            return new ListRecord(string(in), Selector.parseLabels(string(in)), Selector.parseFields(string(in)),
                    string(in), in.getLong());
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw new UnreadableEntryException("list entry is malformed: " + e.getMessage());
        }
    }

    static byte[] encodeBucket(long tick) {
        return new Writer().version().longValue(tick).bytes();
    }

    static long decodeBucket(byte[] value) {
        try {
            return versioned(value).getLong();
        } catch (BufferUnderflowException e) {
            throw new UnreadableEntryException("bucket entry is malformed");
        }
    }

    private static ByteBuffer versioned(byte[] value) {
        if (value.length == 0 || value[0] != VERSION) {
            throw new UnreadableEntryException("entry of version " + (value.length == 0 ? "none" : value[0])
                    + ", expected " + VERSION);
        }
        return ByteBuffer.wrap(value, 1, value.length - 1).slice();
    }

    private static String string(ByteBuffer in) {
        int length = in.getInt();
        if (length < 0 || length > in.remaining()) {
            throw new BufferUnderflowException();
        }
        byte[] bytes = new byte[length];
        in.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static String printable(String key) {
        return key.replace(SEP, '|');
    }

    private static final class Writer {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        private final DataOutputStream out = new DataOutputStream(bytes);

        Writer version() {
            return run(() -> out.writeByte(VERSION));
        }

        Writer string(String s) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            return run(() -> {
                out.writeInt(utf8.length);
                out.write(utf8);
            });
        }

        Writer integer(int value) {
            return run(() -> out.writeInt(value));
        }

        Writer longValue(long value) {
            return run(() -> out.writeLong(value));
        }

        byte[] bytes() {
            return bytes.toByteArray();
        }

        private Writer run(IoAction action) {
            try {
                action.run();
            } catch (IOException e) {
                throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
            }
            return this;
        }
    }

    @FunctionalInterface
    private interface IoAction {
        void run() throws IOException;
    }

    /** An entry this build cannot read: the cache's content is not trusted and the cache starts empty. */
    static final class UnreadableEntryException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UnreadableEntryException(String message) {
            super(message);
        }
    }
}
