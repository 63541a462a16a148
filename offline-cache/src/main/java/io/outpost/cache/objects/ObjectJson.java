package io.outpost.cache.objects;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;

/**
 * Reads {@link ObjectFacts} out of a Kubernetes object's JSON with Jackson's streaming parser (no
 * tree, no binding: the cache stores the bytes it was given and needs only a few fields). Reads to
 * the end, so malformed JSON is refused before it reaches the store: the cache never serves garbage.
 */
final class ObjectJson {

    private static final JsonFactory JSON = JsonFactory.builder().build();

    private ObjectJson() {
    }

    /**
     * @throws IllegalArgumentException if {@code json} is not one JSON object with a string
     *     {@code metadata.name}, or a field the cache reads has the wrong type
     */
    static ObjectFacts read(byte[] json) {
        Builder facts = new Builder();
        try (JsonParser parser = JSON.createParser(json)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw invalid("it is not a JSON object");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                parser.nextToken();
                switch (field) {
                    case "metadata" -> readMetadata(parser, facts);
                    case "spec" -> facts.nodeName = readOneString(parser, "spec", "nodeName");
                    case "status" -> facts.phase = readOneString(parser, "status", "phase");
                    default -> parser.skipChildren();
                }
            }
            if (parser.nextToken() != null) {
                throw invalid("there is content after the object");
            }
        } catch (JsonProcessingException e) {
            throw invalid("it is not valid JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            throw invalid("it cannot be read (" + e.getMessage() + ")"); // a byte array does not fail to read
        }
        if (facts.name == null || facts.name.isEmpty()) {
            throw invalid("it has no metadata.name");
        }
        return new ObjectFacts(facts.namespace, facts.name, facts.resourceVersion, facts.labels, facts.nodeName, facts.phase);
    }

    /**
     * Reads the items of a list answer, each checked to be an object of {@code scope}'s namespace.
     *
     * @throws IllegalArgumentException naming the first bad item by its index
     */
    static List<ObjectFacts> readItems(ListScope scope, List<byte[]> itemsJson) {
        List<ObjectFacts> items = new ArrayList<>(itemsJson.size());
        for (int i = 0; i < itemsJson.size(); i++) {
            ObjectFacts facts;
            try {
                facts = read(Objects.requireNonNull(itemsJson.get(i), "itemsJson[" + i + "]"));
                Names.namespace(facts.namespace());
                Names.name(facts.name());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("itemsJson[" + i + "] of the list of " + scope + ": " + e.getMessage(), e);
            }
            if (!scope.allNamespaces() && !scope.namespace().equals(facts.namespace())) {
                throw new IllegalArgumentException("itemsJson[" + i + "]: object " + facts.namespace() + "/" + facts.name()
                        + " (expected: namespace '" + scope.namespace() + "', the namespace of the list of " + scope + ")");
            }
            items.add(facts);
        }
        return items;
    }

    private static void readMetadata(JsonParser parser, Builder facts) throws IOException {
        expectObject(parser, "metadata");
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            parser.nextToken();
            switch (field) {
                case "name" -> facts.name = string(parser, "metadata.name");
                case "namespace" -> facts.namespace = string(parser, "metadata.namespace");
                case "resourceVersion" -> facts.resourceVersion = string(parser, "metadata.resourceVersion");
                case "labels" -> facts.labels = readLabels(parser);
                default -> parser.skipChildren();
            }
        }
    }

    private static Map<String, String> readLabels(JsonParser parser) throws IOException {
        Map<String, String> labels = new HashMap<>();
        if (parser.currentToken() == JsonToken.VALUE_NULL) {
            return labels;
        }
        expectObject(parser, "metadata.labels");
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String key = parser.currentName();
            parser.nextToken();
            labels.put(key, string(parser, "metadata.labels." + key));
        }
        return labels;
    }

    /** Reads the object {@code section} and returns its string field {@code field}, "" when absent. */
    private static String readOneString(JsonParser parser, String section, String field) throws IOException {
        String value = "";
        if (parser.currentToken() == JsonToken.VALUE_NULL) {
            return value;
        }
        expectObject(parser, section);
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            boolean wanted = field.equals(parser.currentName());
            parser.nextToken();
            if (wanted) {
                value = string(parser, section + "." + field);
            } else {
                parser.skipChildren();
            }
        }
        return value;
    }

    private static void expectObject(JsonParser parser, String what) {
        if (parser.currentToken() != JsonToken.START_OBJECT) {
            throw invalid(what + " is not an object");
        }
    }

    private static String string(JsonParser parser, String what) throws IOException {
        if (parser.currentToken() == JsonToken.VALUE_NULL) {
            return "";
        }
        if (parser.currentToken() != JsonToken.VALUE_STRING) {
            throw invalid(what + " is not a string");
        }
        return parser.getText();
    }

    private static IllegalArgumentException invalid(String problem) {
        return new IllegalArgumentException("Not a Kubernetes object: " + problem);
    }

    private static final class Builder {
        String namespace = "";
        String name;
        String resourceVersion = "";
        Map<String, String> labels = Map.of();
        String nodeName = "";
        String phase = "";
    }
}
