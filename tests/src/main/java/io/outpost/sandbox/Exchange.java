package io.outpost.sandbox;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One request to the {@link ApiFront}, with its body already read, answered from a worker thread.
 *
 * <p>Vert.x response methods may be called from any thread; they hop to the connection's event
 * loop themselves. Streams learn that the client went away through the response's close handler,
 * which is installed on the event loop before the request is handed over, so it cannot be missed.
 */
final class Exchange {

  static final String JSON = "application/json";
  static final String TEXT = "text/plain; charset=utf-8";

  private final HttpServerRequest request;
  private final byte[] body;
  private final Map<String, String> query;
  private final CountDownLatch clientGone;

  /** Must be called on the request's event loop, before its body has been read. */
  static CountDownLatch watchForDisconnect(HttpServerRequest request) {
    CountDownLatch gone = new CountDownLatch(1);
    request.response().closeHandler(ignored -> gone.countDown());
    return gone;
  }

  Exchange(HttpServerRequest request, byte[] body, CountDownLatch clientGone) {
    this.request = request;
    this.body = body;
    this.clientGone = clientGone;
    this.query = parseQuery(request.query());
  }

  String method() {
    return request.method().name();
  }

  /** Raw (still percent-encoded) path without a trailing slash; "/" for the root. */
  String path() {
    String path = request.path();
    if (path == null || path.isEmpty()) {
      return "/";
    }
    return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }

  /** Raw query string, "" when there is none. */
  String rawQuery() {
    return request.query() == null ? "" : request.query();
  }

  /** Decoded query parameters; a repeated parameter keeps its first value. */
  Map<String, String> query() {
    return query;
  }

  boolean queryFlag(String key) {
    String value = query.get(key);
    return "true".equalsIgnoreCase(value) || "1".equals(value);
  }

  String header(String name) {
    return request.getHeader(name);
  }

  byte[] body() {
    return body;
  }

  boolean answered() {
    return request.response().headWritten();
  }

  void send(int code, String contentType, byte[] content) {
    HttpServerResponse response = request.response().setStatusCode(code);
    if (contentType != null) {
      response.putHeader("Content-Type", contentType);
    }
    response.end(Buffer.buffer(content));
  }

  void sendJson(int code, String json) {
    send(code, JSON, json.getBytes(StandardCharsets.UTF_8));
  }

  /** Starts a chunked 200 response and sends its headers at once, before any content. */
  Stream stream(String contentType) {
    HttpServerResponse response = request.response()
        .setStatusCode(200)
        .setChunked(true)
        .putHeader("Content-Type", contentType);
    // Clients (kubectl get -w) wait for the headers before they report a watch as established.
    response.writeHead();
    return new Stream(response);
  }

  /** A streaming response; every {@link #write} goes out immediately. */
  final class Stream {
    private final HttpServerResponse response;

    private Stream(HttpServerResponse response) {
      this.response = response;
    }

    /**
     * @throws ClientGoneException when the client disconnected
     */
    void write(String text) throws ClientGoneException {
      if (clientGone()) {
        throw new ClientGoneException();
      }
      try {
        response.write(Buffer.buffer(text.getBytes(StandardCharsets.UTF_8)));
      } catch (IllegalStateException closedMeanwhile) {
        throw new ClientGoneException();
      }
    }

    boolean clientGone() {
      return clientGone.getCount() == 0 || response.closed();
    }

    /** Waits up to {@code millis}; true as soon as the client disconnects. */
    boolean awaitClientGone(long millis) throws InterruptedException {
      return clientGone.await(millis, TimeUnit.MILLISECONDS);
    }

    void end() {
      if (!response.closed() && !response.ended()) {
        try {
          response.end();
        } catch (IllegalStateException alreadyClosed) {
          // the client left between the check and end()
        }
      }
    }
  }

  /** The client closed the connection of a streaming response. */
  static final class ClientGoneException extends Exception {
    ClientGoneException() {
      super("client disconnected", null, false, false);
    }
  }

  private static Map<String, String> parseQuery(String rawQuery) {
    Map<String, String> params = new LinkedHashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return params;
    }
    for (String pair : rawQuery.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      params.putIfAbsent(key, value);
    }
    return params;
  }
}
