package io.outpost.agent.nodeproxy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The few fields the node proxy reads from Kubernetes JSON (a kind, a resource version, a watch
 * event's type and object), read with Jackson's streaming parser: no tree, no data binding.
 *
 * <pre>{@code
 * String kind = JsonFields.topLevel(body, "kind");            // "Pod", or null
 * }</pre>
 */
final class JsonFields {

  private JsonFields() {}

  /**
   * The scalar values of the fields named {@code names} in the object whose {@code START_OBJECT}
   * the parser is at, as text; other fields and nested values are skipped. Leaves the parser at
   * the object's {@code END_OBJECT}.
   */
  static Map<String, String> strings(JsonParser parser, Set<String> names) throws IOException {
    Map<String, String> values = new HashMap<>();
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      String name = parser.currentName();
      JsonToken value = parser.nextToken();
      if (names.contains(name) && value.isScalarValue() && value != JsonToken.VALUE_NULL) {
        values.put(name, parser.getValueAsString());
      } else {
        parser.skipChildren();
      }
    }
    return values;
  }

  /** The top-level field {@code name} of the JSON object {@code json} as text, or null if absent or not scalar. */
  static String topLevel(byte[] json, String name) throws IOException {
    try (JsonParser parser = Responses.JSON.createParser(json)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException("not a JSON object");
      }
      return strings(parser, Set.of(name)).get(name);
    }
  }
}
