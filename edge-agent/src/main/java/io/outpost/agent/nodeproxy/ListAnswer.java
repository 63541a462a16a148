package io.outpost.agent.nodeproxy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A LIST answer split for the cache with a streaming parser: its kind, {@code metadata}
 * resourceVersion and continue token, and where each item's JSON lies in the answer. No tree of the
 * whole list is built: a 9,000-ConfigMap list (5 MB) would take some 50 MB of heap as a Jackson
 * tree, more than the node proxy's whole heap; sliced, it takes its own size.
 *
 * <pre>{@code
 * ListAnswer list = ListAnswer.parse(body);
 * cache.replaceList(scope, list.resourceVersion(), list.typedItems("Pod", "v1"));
 * }</pre>
 */
final class ListAnswer {

  private final String kind;
  private final String resourceVersion;
  private final String continueToken;
  private final byte[] body;
  private final List<Item> items;

  /** Where an item lies in the answer ({@code [start, end)}) and which type-meta fields it has. */
  private record Item(int start, int end, TypeMeta.Fields fields) {}

  private ListAnswer(String kind, String resourceVersion, String continueToken, byte[] body, List<Item> items) {
    this.kind = kind;
    this.resourceVersion = resourceVersion;
    this.continueToken = continueToken;
    this.body = body;
    this.items = items;
  }

  private static final java.util.Set<String> LIST_METADATA = java.util.Set.of("resourceVersion", "continue");

  static ListAnswer parse(byte[] body) throws IOException {
    String kind = null;
    String resourceVersion = "";
    String continueToken = "";
    List<Item> items = new ArrayList<>();
    try (JsonParser parser = Responses.JSON.createParser(body)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException("a LIST answer is not a JSON object");
      }
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        JsonToken value = parser.nextToken();
        switch (field) {
          case "kind" -> kind = parser.getValueAsString();
          case "metadata" -> {
            if (value == JsonToken.START_OBJECT) {
              java.util.Map<String, String> metadata = JsonFields.strings(parser, LIST_METADATA);
              resourceVersion = metadata.getOrDefault("resourceVersion", "");
              continueToken = metadata.getOrDefault("continue", "");
            } else {
              parser.skipChildren();
            }
          }
          case "items" -> {
            if (value == JsonToken.START_ARRAY) {
              while (parser.nextToken() == JsonToken.START_OBJECT) {
                int start = (int) parser.currentTokenLocation().getByteOffset();
                TypeMeta.Fields fields = TypeMeta.Fields.of(parser, start);
                items.add(new Item(start, (int) parser.currentLocation().getByteOffset(), fields));
              }
            }
          }
          default -> parser.skipChildren();
        }
      }
    }
    return new ListAnswer(kind, resourceVersion, continueToken, body, items);
  }

  String kind() {
    return kind;
  }

  String resourceVersion() {
    return resourceVersion;
  }

  String continueToken() {
    return continueToken;
  }

  /**
   * Each item's JSON as sent, with {@code kind} and {@code apiVersion} put first where the item
   * lacks them (list items do), so that the cache can answer the object as it is stored.
   */
  List<byte[]> typedItems(String itemKind, String apiVersion) {
    List<byte[]> typed = new ArrayList<>(items.size());
    for (Item item : items) {
      TypeMeta.Fields fields = item.fields();
      typed.add(fields.nullTypeMeta() ? Arrays.copyOfRange(body, item.start(), item.end())
          : TypeMeta.spliced(body, item.start(), item.end(), fields.hasKind() ? null : itemKind,
              fields.hasApiVersion() ? null : apiVersion, fields.empty()));
    }
    return typed;
  }
}
