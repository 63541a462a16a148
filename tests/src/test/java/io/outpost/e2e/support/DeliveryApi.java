package io.outpost.e2e.support;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.hub.delivery.BundleView;
import io.outpost.hub.delivery.SourceView;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** The delivery REST API as a user calls it: sources, webhooks, bundles and rollout actions. */
public final class DeliveryApi {

  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private final HubClient hub;

  public DeliveryApi(HubClient hub) {
    this.hub = hub;
  }

  /** Declares a source (fetched at once) from a JSON body; the hub's answer. */
  public HttpResponse<String> putSource(Map<String, Object> body) {
    return post("/api/v1/sources", write(body));
  }

  public SourceView source(Map<String, Object> body) {
    HttpResponse<String> response = putSource(body);
    if (response.statusCode() != 200) {
      throw new IllegalStateException("source not accepted: " + response.statusCode() + " " + response.body());
    }
    return read(response.body(), SourceView.class);
  }

  /** The webhook: fetch now. */
  public SourceView webhook(String source) {
    return read(post("/api/v1/sources/" + source + "/webhook", "").body(), SourceView.class);
  }

  public BundleView bundle(String name) {
    HttpResponse<String> response = hub.get("/api/v1/bundles/" + name);
    return response.statusCode() == 200 ? read(response.body(), BundleView.class) : null;
  }

  public BundleView.ClusterView cluster(String bundle, String cluster) {
    BundleView view = bundle(bundle);
    return view == null ? null : view.clusters().stream().filter(c -> c.cluster().equals(cluster)).findFirst()
        .orElse(null);
  }

  public HttpResponse<String> post(String path, String body) {
    return hub.send(hub.request(path).timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build());
  }

  public static <T> T read(String json, Class<T> type) {
    try {
      return JSON.readValue(json, type);
    } catch (IOException e) {
      throw new UncheckedIOException("unexpected answer: " + json, e);
    }
  }

  private static String write(Object body) {
    try {
      return JSON.writeValueAsString(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
