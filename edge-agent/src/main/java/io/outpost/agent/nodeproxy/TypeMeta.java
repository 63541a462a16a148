package io.outpost.agent.nodeproxy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * An object's {@code kind} and {@code apiVersion} ("type meta"), which a served object must carry
 * and a LIST's items do not (the API server leaves them out of list items). Cached objects are
 * answered as their stored bytes: list items get the two fields spliced in front when they are
 * recorded, so answering from the cache parses no JSON. {@link #typed} checks the leading fields
 * the way the API server and Jackson write them ({@code {"kind":…,"apiVersion":…} in either order)
 * and only falls back to reading the object's top-level fields when they are not there.
 *
 * <pre>{@code
 * ByteBuffer answer = TypeMeta.typed(cached.jsonView(), "Pod", "v1"); // the same view when already typed
 * }</pre>
 */
final class TypeMeta {

  private static final byte[] KIND = bytes("\"kind\":\"");
  private static final byte[] API_VERSION = bytes("\"apiVersion\":\"");

  private TypeMeta() {}

  /**
   * {@code json} (a read-only view) with {@code kind} and {@code apiVersion} where it lacks them; the
   * same view, uncopied, if it has both.
   */
  static ByteBuffer typed(ByteBuffer json, String kind, String apiVersion) throws IOException {
    if (leadsWithTypeMeta(json)) {
      return json;
    }
    byte[] copy = new byte[json.remaining()];
    json.duplicate().get(copy);
    return ByteBuffer.wrap(typed(copy, kind, apiVersion));
  }

  /** {@code json} with {@code kind} and {@code apiVersion} where it lacks them; the same array if it has both. */
  static byte[] typed(byte[] json, String kind, String apiVersion) throws IOException {
    if (leadsWithTypeMeta(ByteBuffer.wrap(json))) {
      return json;
    }
    Fields fields = Fields.of(json);
    if (fields.hasKind() && fields.hasApiVersion()) {
      return json;
    }
    if (fields.nullTypeMeta()) {
      // "kind": null would be a duplicate key once spliced: rewrite the tree instead (rare).
      return retyped(json, kind, apiVersion);
    }
    return spliced(json, fields.objectStart(), json.length, fields.hasKind() ? null : kind,
        fields.hasApiVersion() ? null : apiVersion, fields.empty());
  }

  /**
   * The object {@code json[start, end)} with the given fields inserted first; a null field is left
   * out. {@code empty} says the object has no fields of its own.
   */
  static byte[] spliced(byte[] json, int start, int end, String kind, String apiVersion, boolean empty) {
    StringBuilder prefix = new StringBuilder("{");
    if (kind != null) {
      prefix.append("\"kind\":\"").append(JsonStringEncoder.getInstance().quoteAsString(kind)).append('"');
    }
    if (apiVersion != null) {
      prefix.append(prefix.length() > 1 ? "," : "")
          .append("\"apiVersion\":\"").append(JsonStringEncoder.getInstance().quoteAsString(apiVersion)).append('"');
    }
    if (prefix.length() == 1) {
      return java.util.Arrays.copyOfRange(json, start, end);
    }
    if (!empty) {
      prefix.append(',');
    }
    byte[] head = bytes(prefix.toString());
    byte[] out = new byte[head.length + end - start - 1];
    System.arraycopy(head, 0, out, 0, head.length);
    System.arraycopy(json, start + 1, out, head.length, end - start - 1);
    return out;
  }

  /** Whether the object's first two fields are {@code kind} and {@code apiVersion} with string values. */
  static boolean leadsWithTypeMeta(ByteBuffer json) {
    int at = json.position();
    if (json.remaining() < 2 || json.get(at) != '{') {
      return false;
    }
    at++;
    boolean kindFirst = startsWith(json, at, KIND);
    if (!kindFirst && !startsWith(json, at, API_VERSION)) {
      return false;
    }
    at = endOfString(json, at + (kindFirst ? KIND.length : API_VERSION.length));
    if (at < 0 || at >= json.limit() || json.get(at) != ',') {
      return false;
    }
    byte[] second = kindFirst ? API_VERSION : KIND;
    return startsWith(json, at + 1, second) && endOfString(json, at + 1 + second.length) > 0;
  }

  /** The index after the closing quote of a JSON string whose content starts at {@code at}; -1 if none. */
  private static int endOfString(ByteBuffer json, int at) {
    for (int i = at; i < json.limit(); i++) {
      byte b = json.get(i);
      if (b == '\\') {
        i++;
      } else if (b == '"') {
        return i + 1;
      }
    }
    return -1;
  }

  private static boolean startsWith(ByteBuffer json, int at, byte[] prefix) {
    if (at + prefix.length > json.limit()) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (json.get(at + i) != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * {@code json} with a {@code kind} and {@code apiVersion} that are missing or null set, rewritten
   * by a streaming copy: a null one is replaced where it stands, a missing one added at the end.
   */
  private static byte[] retyped(byte[] json, String kind, String apiVersion) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(json.length + 64);
    try (JsonParser parser = Responses.JSON.createParser(json);
         com.fasterxml.jackson.core.JsonGenerator copy = Responses.JSON.createGenerator(out)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException("a cached object is not a JSON object");
      }
      copy.writeStartObject();
      boolean kindSet = false;
      boolean apiVersionSet = false;
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        boolean nullValue = parser.nextToken() == JsonToken.VALUE_NULL;
        if (field.equals("kind") && nullValue) {
          copy.writeStringField("kind", kind);
        } else if (field.equals("apiVersion") && nullValue) {
          copy.writeStringField("apiVersion", apiVersion);
        } else {
          copy.writeFieldName(field);
          copy.copyCurrentStructure(parser);
        }
        kindSet |= field.equals("kind");
        apiVersionSet |= field.equals("apiVersion");
      }
      if (!kindSet) {
        copy.writeStringField("kind", kind);
      }
      if (!apiVersionSet) {
        copy.writeStringField("apiVersion", apiVersion);
      }
      copy.writeEndObject();
    }
    return out.toByteArray();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** What an object's top-level fields say about its type meta, read with a streaming parser. */
  record Fields(int objectStart, boolean hasKind, boolean hasApiVersion, boolean nullTypeMeta, boolean empty) {

    static Fields of(byte[] json) throws IOException {
      try (JsonParser parser = Responses.JSON.createParser(json)) {
        if (parser.nextToken() != JsonToken.START_OBJECT) {
          throw new IOException("a cached object is not a JSON object");
        }
        return of(parser, (int) parser.currentTokenLocation().getByteOffset());
      }
    }

    /** Reads the object whose START_OBJECT is the parser's current token, up to its END_OBJECT. */
    static Fields of(JsonParser parser, int objectStart) throws IOException {
      boolean kind = false;
      boolean apiVersion = false;
      boolean nulls = false;
      boolean empty = true;
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        empty = false;
        String name = parser.currentName();
        JsonToken value = parser.nextToken();
        if (name.equals("kind") || name.equals("apiVersion")) {
          boolean present = value != JsonToken.VALUE_NULL;
          nulls |= !present;
          kind |= present && name.equals("kind");
          apiVersion |= present && name.equals("apiVersion");
        }
        parser.skipChildren();
      }
      return new Fields(objectStart, kind, apiVersion, nulls, empty);
    }
  }
}
