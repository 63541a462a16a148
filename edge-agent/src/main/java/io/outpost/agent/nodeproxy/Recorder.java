package io.outpost.agent.nodeproxy;

import com.fasterxml.jackson.databind.JsonNode;
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
          kinds.learn(request.resource(), Responses.JSON.readTree(body).path("kind").asText(null));
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
        JsonNode event = Responses.JSON.readTree(json);
        JsonNode object = event.path("object");
        String type = event.path("type").asText("");
        String resource = request.resource();
        JsonNode metadata = object.path("metadata");
        String rv = metadata.path("resourceVersion").asText(null);
        String what = type + " event of " + resource + " " + metadata.path("name").asText() + " for " + client;
        switch (type) {
          case "ADDED", "MODIFIED" -> {
            kinds.learn(resource, object.path("kind").asText(null));
            byte[] objectJson = Responses.JSON.writeValueAsBytes(object);
            writer.submitEvent(client, resource, rv, objectJson.length, what,
                () -> cache.recordObject(client, resource, objectJson));
          }
          case "DELETED" -> {
            String namespace = metadata.path("namespace").asText("");
            String name = metadata.path("name").asText();
            writer.submitEvent(client, resource, rv, 0, what, () -> cache.deleteObject(client, resource, namespace,
                name));
          }
          default -> {
            // BOOKMARK and ERROR carry no object to keep.
          }
        }
      } catch (Exception e) {
        log.warn("could not cache a watch event of {} for {}: {}", request.resource(), client, e.toString());
      }
    }
  }
}
