package io.outpost.agent.nodeproxy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.outpost.cache.objects.ListScope;
import io.outpost.cache.objects.ObjectCache;
import io.outpost.cache.objects.Selector;
import java.io.ByteArrayOutputStream;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records API answers into the cache, per client: a GET → the object (a 404 forgets it), a complete
 * LIST → the list with the selectors it was asked with, WATCH events → objects added, changed or
 * forgotten. Answers are parsed here and written through the {@link CacheWriter} (group commit, in
 * arrival order). Clients outside the allowlist are not recorded. A failure to record is logged and
 * never disturbs forwarding.
 */
final class Recorder {

  private static final Logger log = LoggerFactory.getLogger(Recorder.class);

  private final ObjectCache cache;
  private final CacheWriter writer;
  private final Kinds kinds;
  private final ClientAllowlist allowlist;

  Recorder(ObjectCache cache, CacheWriter writer, Kinds kinds, ClientAllowlist allowlist) {
    this.cache = cache;
    this.writer = writer;
    this.kinds = kinds;
    this.allowlist = allowlist;
  }

  /** Records a whole GET or LIST answer. */
  void recordAnswer(String client, ApiRequest request, int code, byte[] body) {
    if (!allowlist.caches(client)) {
      return;
    }
    try {
      String what = request.method() + " " + request.resource() + " for " + client;
      if (request.verb() == ApiRequest.Verb.GET) {
        if (code == 200) {
          kinds.learn(request.resource(), JsonFields.topLevel(body, "kind"));
          writer.submit(what, body.length, () -> cache.recordObject(client, request.resource(),
              request.namespace(), request.name(), body));
        } else if (code == 404) {
          writer.submit(what, 0, () -> cache.deleteObject(client, request.resource(), request.namespace(),
              request.name()));
        }
      } else if (request.verb() == ApiRequest.Verb.LIST && code == 200) {
        recordList(client, request, body);
      }
    } catch (Exception e) {
      log.warn("could not cache the answer to {} {} for {}: {}", request.method(), request.resource(), client,
          e.toString());
    }
  }

  private void recordList(String client, ApiRequest request, byte[] body) throws java.io.IOException {
    ListScope scope;
    try {
      scope = scope(client, request);
    } catch (IllegalArgumentException e) {
      log.debug("not caching a list with selectors the cache cannot apply: {}", e.getMessage());
      return;
    }
    ListAnswer list = ListAnswer.parse(body);
    kinds.learn(request.resource(), list.kind());
    String rv = list.resourceVersion();
    List<byte[]> items = list.typedItems(kinds.kindOf(request), request.apiVersion());
    String askedContinue = request.param("continue");
    if (!list.continueToken().isEmpty() || (askedContinue != null && !askedContinue.isEmpty())) {
      // One page of a chunked list is not the whole list, not even the last page (it has no
      // continue token of its own): keep its objects, not a list record.
      writer.submit("a list page of " + scope, body.length, () -> items.forEach(item -> cache.recordObject(client,
          request.resource(), item)));
      return;
    }
    writer.submit("the list of " + scope, body.length, () -> cache.replaceList(scope, rv, items));
  }

  /** The cache scope of a LIST or WATCH request; throws IllegalArgumentException for selectors the cache cannot apply. */
  static ListScope scope(String client, ApiRequest request) {
    String labels = request.param("labelSelector");
    String fields = request.param("fieldSelector");
    return new ListScope(client, request.resource(), request.namespace(),
        labels == null || labels.isBlank() ? Selector.everything() : Selector.parseLabels(labels),
        fields == null || fields.isBlank() ? Selector.everything() : Selector.parseFields(fields));
  }

  /**
   * A splitter for one watch stream: feed it the bytes as they pass, it records each complete
   * event; {@code null} for a client outside the allowlist.
   */
  WatchTap watchTap(String client, ApiRequest request) {
    return allowlist.caches(client) ? new WatchTap(client, request) : null;
  }

  final class WatchTap {
    private final String client;
    private final ApiRequest request;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    private WatchTap(String client, ApiRequest request) {
      this.client = client;
      this.request = request;
    }

    void accept(byte[] bytes) {
      for (byte b : bytes) {
        if (b == '\n') {
          event(line.toByteArray());
          line.reset();
        } else {
          line.write(b);
        }
      }
    }

    private void event(byte[] json) {
      if (json.length == 0) {
        return;
      }
      try {
        WatchEvent event = WatchEvent.parse(json);
        String resource = request.resource();
        String what = event.type() + " event of " + resource + " " + event.name() + " for " + client;
        switch (event.type()) {
          case "ADDED", "MODIFIED" -> {
            kinds.learn(resource, event.kind());
            byte[] objectJson = event.object();
            writer.submitEvent(client, resource, event.resourceVersion(), objectJson.length, what,
                () -> cache.recordObject(client, resource, objectJson));
          }
          case "DELETED" -> writer.submitEvent(client, resource, event.resourceVersion(), 0, what,
              () -> cache.deleteObject(client, resource, event.namespace(), event.name()));
          default -> {
            // BOOKMARK and ERROR carry no object to keep.
          }
        }
      } catch (Exception e) {
        log.warn("could not cache a watch event of {} for {}: {}", request.resource(), client, e.toString());
      }
    }
  }

  /**
   * One line of a watch stream: its type and, of its object, the kind, namespace, name and resource
   * version, and the object's own bytes as they came (no re-serialisation).
   */
  record WatchEvent(String type, String kind, String namespace, String name, String resourceVersion, byte[] object) {

    private static final java.util.Set<String> METADATA = java.util.Set.of("namespace", "name", "resourceVersion");

    static WatchEvent parse(byte[] json) throws java.io.IOException {
      String type = "";
      String kind = null;
      java.util.Map<String, String> metadata = java.util.Map.of();
      byte[] object = new byte[0];
      try (JsonParser parser = Responses.JSON.createParser(json)) {
        if (parser.nextToken() != JsonToken.START_OBJECT) {
          throw new java.io.IOException("a watch event is not a JSON object");
        }
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String field = parser.currentName();
          JsonToken value = parser.nextToken();
          if (field.equals("type") && value == JsonToken.VALUE_STRING) {
            type = parser.getText();
          } else if (field.equals("object") && value == JsonToken.START_OBJECT) {
            int start = (int) parser.currentTokenLocation().getByteOffset();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
              String objectField = parser.currentName();
              JsonToken objectValue = parser.nextToken();
              if (objectField.equals("kind") && objectValue == JsonToken.VALUE_STRING) {
                kind = parser.getText();
              } else if (objectField.equals("metadata") && objectValue == JsonToken.START_OBJECT) {
                metadata = JsonFields.strings(parser, METADATA);
              } else {
                parser.skipChildren();
              }
            }
            object = java.util.Arrays.copyOfRange(json, start, (int) parser.currentLocation().getByteOffset());
          } else {
            parser.skipChildren();
          }
        }
      }
      return new WatchEvent(type, kind, metadata.getOrDefault("namespace", ""), metadata.getOrDefault("name", ""),
          metadata.get("resourceVersion"), object);
    }
  }
}
