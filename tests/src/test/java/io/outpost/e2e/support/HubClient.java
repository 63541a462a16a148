package io.outpost.e2e.support;

import io.outpost.demo.Fleet;
import io.outpost.hub.Hub;
import io.outpost.tunnel.pki.Tls;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/**
 * HTTPS calls to a fleet's hub as a user's HTTP client makes them: trusting only the hub CA,
 * with the admin's bearer token.
 */
public final class HubClient {

  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  private final Hub hub;
  private final String token;
  private final HttpClient http;

  public HubClient(Fleet fleet) {
    this(fleet.hub(), fleet.adminToken());
  }

  /** For a hub started without a fleet; {@code token} is a user token, e.g. the first admin's. */
  public HubClient(Hub hub, String token) {
    this.hub = hub;
    this.token = token;
    try {
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(null, new TrustManager[] {Tls.trustManager(hub.pki().ca().certificate())}, null);
      // HTTP/1.1, as kubectl speaks to the gateway: each request has its own connection to lose.
      this.http = HttpClient.newBuilder().sslContext(tls).version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5)).build();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot build a TLS context trusting the hub CA", e);
    }
  }

  public HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(hub.url() + path))
        .header("Authorization", "Bearer " + token);
  }

  /** A GET of any hub path, e.g. {@code get("/api/v1/clusters")}. */
  public HttpResponse<String> get(String path) {
    return send(request(path).timeout(TIMEOUT).GET().build());
  }

  /** A GET through the gateway of member {@code cluster}, e.g. {@code get("edge-1", "/api/v1/pods")}. */
  public HttpResponse<String> gatewayGet(String cluster, String apiPath) {
    return send(request("/clusters/" + cluster + "/k8s" + apiPath).timeout(TIMEOUT).GET().build());
  }

  public HttpResponse<String> send(HttpRequest request) {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(request.method() + " " + request.uri() + " failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted during " + request.method() + " " + request.uri(), e);
    }
  }

  /**
   * Starts a GET whose body is left unread (a watch, a {@code logs -f}); the future completes with
   * the response head. Closing the body stream hangs up, as a user's Ctrl-C does.
   */
  public CompletableFuture<HttpResponse<InputStream>> openStream(String cluster, String apiPath) {
    return http.sendAsync(request("/clusters/" + cluster + "/k8s" + apiPath).GET().build(),
        HttpResponse.BodyHandlers.ofInputStream());
  }
}
