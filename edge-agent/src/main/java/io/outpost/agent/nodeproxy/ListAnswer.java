package io.outpost.agent.nodeproxy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A LIST answer split for the cache with a streaming parser: its kind, {@code metadata}
 * resourceVersion and continue token, and each item's JSON as the exact bytes the API server sent.
 * No tree of the whole list is built: a 9,000-ConfigMap list (5 MB) would take some 50 MB of heap
 * as a Jackson tree, more than the node proxy's whole heap; sliced, it takes its own size.
 *
 * <pre>{@code
 * ListAnswer list = ListAnswer.parse(body);
 * cache.replaceList(scope, list.resourceVersion(), list.items());
 * }</pre>
 */
record ListAnswer(String kind, String resourceVersion, String continueToken, List<byte[]> items) {

  static ListAnswer parse(byte[] body) throws IOException {
    String kind = null;
    String resourceVersion = "";
    String continueToken = "";
    List<byte[]> items = new ArrayList<>();
    try (JsonParser parser = Responses.JSON.getFactory().createParser(body)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException("a LIST answer is not a JSON object");
      }
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        JsonToken value = parser.nextToken();
        switch (field) {
          case "kind" -> kind = parser.getValueAsString();
          case "metadata" -> {
            JsonNode metadata = parser.readValueAsTree();
            resourceVersion = metadata.path("resourceVersion").asText("");
            continueToken = metadata.path("continue").asText("");
          }
          case "items" -> {
            if (value == JsonToken.START_ARRAY) {
              while (parser.nextToken() == JsonToken.START_OBJECT) {
                int start = (int) parser.currentTokenLocation().getByteOffset();
                parser.skipChildren();
                int end = (int) parser.currentLocation().getByteOffset();
                items.add(Arrays.copyOfRange(body, start, end));
              }
            }
          }
          default -> parser.skipChildren();
        }
      }
    }
    return new ListAnswer(kind, resourceVersion, continueToken, items);
  }
}
