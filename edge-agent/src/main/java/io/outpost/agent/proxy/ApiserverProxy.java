package io.outpost.agent.proxy;

import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.outpost.tunnel.ApiPaths;
import io.outpost.tunnel.client.AgentExchange;
import io.outpost.tunnel.client.ExchangeHandler;
import io.outpost.tunnel.proto.Header;
import io.outpost.tunnel.proto.RequestHead;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves tunnel exchanges against this agent's own apiserver, and nothing else: every target is
 * resolved below the apiserver URL and checked to stay there. The request goes out with the
 * agent's credentials for that cluster (fabric8's HTTP client, configured from the kubeconfig or
 * the in-cluster service account). The response streams back chunk by chunk, reading from the
 * apiserver only while the tunnel stream is writable.
 */
public final class ApiserverProxy implements ExchangeHandler {

  private static final Logger log = LoggerFactory.getLogger(ApiserverProxy.class);

  private static final Set<String> HOP_BY_HOP =
      Set.of("connection", "keep-alive", "transfer-encoding", "content-length", "upgrade", "host");

  private final URI apiserver;
  private final HttpClient http;
  private final String clusterName;

  public ApiserverProxy(URI apiserver, HttpClient http, String clusterName) {
    this.apiserver = apiserver;
    this.http = http;
    this.clusterName = clusterName;
  }

  @Override
  public void handle(RequestHead head, AgentExchange exchange) {
    URI target;
    try {
      target = ApiPaths.resolve(apiserver, head.getPath(), head.getQuery());
    } catch (IllegalArgumentException e) {
      exchange.fail(400, e.getMessage());
      return;
    }
    exchange.body().whenComplete((body, error) -> {
      if (error == null) {
        forward(head, target, body, exchange);
      }
    });
  }

  private void forward(RequestHead head, URI target, byte[] body, AgentExchange exchange) {
    log.debug("exchange {}: {} {}", exchange.id(), head.getMethod(), target);
    String contentType = null;
    HttpRequest.Builder request = http.newHttpRequestBuilder().uri(target).forStreaming();
    for (Header header : head.getHeadersList()) {
      if (header.getName().equalsIgnoreCase("content-type")) {
        contentType = header.getValuesCount() > 0 ? header.getValues(0) : null;
        continue;
      }
      for (String value : header.getValuesList()) {
        request.header(header.getName(), value);
      }
    }
    if (body.length > 0 || !head.getMethod().equals("GET")) {
      request.method(head.getMethod(), contentType, new ByteArrayInputStream(body), (long) body.length);
    }
    AtomicReference<AsyncBody> paused = new AtomicReference<>();
    exchange.onReady(() -> {
      AsyncBody waiting = paused.getAndSet(null);
      if (waiting != null) {
        waiting.consume();
      }
    });
    http.consumeBytes(request.build(), (List<ByteBuffer> buffers, AsyncBody asyncBody) -> {
      exchange.send(buffers);
      if (exchange.isReady()) {
        asyncBody.consume();
      } else {
        // Resume from onReady; re-check in case the stream turned ready in between.
        paused.set(asyncBody);
        if (exchange.isReady() && paused.compareAndSet(asyncBody, null)) {
          asyncBody.consume();
        }
      }
    }).whenComplete((response, error) -> {
      if (error != null) {
        exchange.fail(503, "the apiserver of cluster " + clusterName + " (" + apiserver
            + ") did not answer its agent: " + rootMessage(error));
        return;
      }
      respond(response, exchange);
    });
  }

  private void respond(HttpResponse<AsyncBody> response, AgentExchange exchange) {
    log.debug("exchange {}: apiserver answered {}", exchange.id(), response.code());
    AsyncBody body = response.body();
    exchange.onCancel(body::cancel);
    exchange.respond(response.code(), headers(response.headers()));
    body.done().whenComplete((ignored, error) -> {
      if (error == null) {
        exchange.end();
      } else if (!exchange.isCancelled()) {
        exchange.fail(502, "the apiserver of cluster " + clusterName + " broke off the response: "
            + rootMessage(error));
      }
    });
    body.consume();
  }

  private static Map<String, List<String>> headers(Map<String, List<String>> upstream) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    upstream.forEach((name, values) -> {
      String lower = name.toLowerCase(Locale.ROOT);
      if (!lower.startsWith(":") && !HOP_BY_HOP.contains(lower)) {
        out.put(name, values);
      }
    });
    return out;
  }

  private static String rootMessage(Throwable error) {
    Throwable t = error;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
  }
}
