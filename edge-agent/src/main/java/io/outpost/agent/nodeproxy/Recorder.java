package io.outpost.agent.nodeproxy;

import com.fasterxml.jackson.databind.JsonNode;
import io.outpost.cache.objects.ListScope;
import io.outpost.cache.objects.ObjectCache;
import io.outpost.cache.objects.Selector;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records API answers into the cache, per client: a GET → the object (a 404 forgets it), a complete
 * LIST → the list with the selectors it was asked with, WATCH events → objects added, changed or
 * forgotten. A failure to record is logged and never disturbs forwarding.
 */
final class Recorder {

  private static final Logger log = LoggerFactory.getLogger(Recorder.class);

  private final ObjectCache cache;
  private final Kinds kinds;

  Recorder(ObjectCache cache, Kinds kinds) {
    this.cache = cache;
    this.kinds = kinds;
  }

  /** Records a whole GET or LIST answer. */
  void recordAnswer(String client, ApiRequest request, int code, byte[] body) {
    try {
      if (request.verb() == ApiRequest.Verb.GET) {
        if (code == 200) {
          kinds.learn(request.resource(), Responses.JSON.readTree(body).path("kind").asText(null));
          cache.recordObject(client, request.resource(), request.namespace(), request.name(), body);
        } else if (code == 404) {
          cache.deleteObject(client, request.resource(), request.namespace(), request.name());
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
    JsonNode list = Responses.JSON.readTree(body);
    kinds.learn(request.resource(), list.path("kind").asText(null));
    String rv = list.path("metadata").path("resourceVersion").asText("");
    List<byte[]> items = new ArrayList<>();
    for (JsonNode item : list.path("items")) {
      items.add(Responses.JSON.writeValueAsBytes(item));
    }
    String more = list.path("metadata").path("continue").asText("");
    if (!more.isEmpty()) {
      // One page of a chunked list is not the whole list: keep its objects, not a list record.
      for (byte[] item : items) {
        cache.recordObject(client, request.resource(), item);
      }
      return;
    }
    cache.replaceList(scope, rv, items);
  }

  /** The cache scope of a LIST or WATCH request; throws IllegalArgumentException for selectors the cache cannot apply. */
  static ListScope scope(String client, ApiRequest request) {
    String labels = request.param("labelSelector");
    String fields = request.param("fieldSelector");
    return new ListScope(client, request.resource(), request.namespace(),
        labels == null || labels.isBlank() ? Selector.everything() : Selector.parseLabels(labels),
        fields == null || fields.isBlank() ? Selector.everything() : Selector.parseFields(fields));
  }

  /** A splitter for one watch stream: feed it the bytes as they pass, it records each complete event. */
  WatchTap watchTap(String client, ApiRequest request) {
    return new WatchTap(client, request);
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
        switch (type) {
          case "ADDED", "MODIFIED" -> {
            kinds.learn(request.resource(), object.path("kind").asText(null));
            cache.recordObject(client, request.resource(), Responses.JSON.writeValueAsBytes(object));
          }
          case "DELETED" -> cache.deleteObject(client, request.resource(),
              object.path("metadata").path("namespace").asText(""), object.path("metadata").path("name").asText());
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
