package io.outpost.e2e;

import io.outpost.demo.Fleet;
import io.outpost.tunnel.pki.Tls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.GeneralSecurityException;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/** Plain HTTPS calls to a fleet's hub, trusting its CA, as a user's HTTP client would make them. */
final class HubHttp {

  private final Fleet fleet;
  private final HttpClient client;

  HubHttp(Fleet fleet) {
    this.fleet = fleet;
    try {
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(null, new TrustManager[] {Tls.trustManager(fleet.hub().pki().ca().certificate())}, null);
      this.client = HttpClient.newBuilder().sslContext(tls).version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5)).build();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  HttpClient client() {
    return client;
  }

  HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(fleet.hub().url() + path)).timeout(Duration.ofSeconds(20))
        .header("Authorization", "Bearer " + fleet.adminToken());
  }

  HttpResponse<String> get(String path) {
    return send(request(path).GET().build());
  }

  HttpResponse<String> send(HttpRequest request) {
    try {
      return client.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
