package io.outpost.sandbox;

import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * fabric8's {@link KubernetesMockServer} in CRUD mode on a private loopback port, and the HTTP
 * client the {@link ApiFront} uses to reach it.
 *
 * <p>The mock keeps objects in memory, assigns uids and resourceVersions, answers conflicts and
 * delivers watch events, but it can only stream over WebSocket and answers every request with one
 * fully buffered body. Clients never talk to it directly: the front adds what kubectl needs
 * (discovery, HTTP watches, pod logs) and forwards the rest here.
 */
final class MockBackend implements AutoCloseable {

  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

  private final KubernetesMockServer server;
  private final HttpClient http;
  private final String base;

  private MockBackend(KubernetesMockServer server) {
    this.server = server;
    this.base = "127.0.0.1:" + server.getPort();
    // HTTP/1.1 only: the JDK client otherwise probes h2c upgrades, which the mock handles poorly.
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  static MockBackend start() {
    MockWebServer web = new MockWebServer();
    web.setHttp2ClearTextEnabled(false);
    // The mock logs every request at INFO through java.util.logging; that drowns a demo's output.
    Logger.getLogger(MockWebServer.class.getName()).setLevel(Level.WARNING);
    KubernetesMockServer server = new KubernetesMockServer(
        new Context(), web, new HashMap<>(), new KubernetesCrudDispatcher(List.of()), false);
    server.start(InetAddress.getLoopbackAddress(), 0);
    return new MockBackend(server);
  }

  int port() {
    return server.getPort();
  }

  /**
   * Sends one request to the mock and returns its fully buffered answer.
   *
   * @param pathAndQuery raw (still percent-encoded) path and query, e.g. {@code /api/v1/pods?limit=500}
   */
  HttpResponse<byte[]> send(String method, String pathAndQuery, String contentType, byte[] body)
      throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + base + pathAndQuery))
        .timeout(REQUEST_TIMEOUT)
        .method(method, body.length == 0
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    try {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    } finally {
      forgetRecordedRequests();
    }
  }

  HttpResponse<byte[]> get(String pathAndQuery) throws IOException, InterruptedException {
    return send("GET", pathAndQuery, null, new byte[0]);
  }

  /** Opens the mock's WebSocket watch for a {@code ?watch=true} path. */
  CompletableFuture<WebSocket> openWatch(String pathAndQuery, WebSocket.Listener listener) {
    return http.newWebSocketBuilder()
        .connectTimeout(Duration.ofSeconds(5))
        .buildAsync(URI.create("ws://" + base + pathAndQuery), listener)
        .whenComplete((ws, error) -> forgetRecordedRequests());
  }

  /**
   * The mock records every request (with its body) in an unbounded queue meant for test assertions.
   * A sandbox can run for hours with informers polling it, so drop the record as we go.
   */
  private void forgetRecordedRequests() {
    try {
      while (server.takeRequest(0, TimeUnit.MILLISECONDS) != null) {
        // discard
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    server.shutdown();
  }
}
