package io.outpost.hub.cli;

import io.outpost.tunnel.pki.CaPin;
import io.outpost.tunnel.pki.PinnedCaTrustManager;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.GeneralSecurityException;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import picocli.CommandLine.Option;

/**
 * How CLI commands reach a running hub's REST API: its URL, a user's bearer token, and the CA
 * pin, so the first call is already authenticated both ways (no "trust on first use").
 *
 * <p>The options are checked when a call is made, not when the command line is parsed: a parent
 * command such as {@code clusters} carries them too, and picocli would otherwise insist on them
 * there when they were given to {@code clusters get}.
 */
final class HubConnection {

  @Option(names = "--hub", defaultValue = "${env:OUTPOST_HUB}", paramLabel = "URL",
      description = "Hub API URL, e.g. https://hub.example:8443 (env OUTPOST_HUB).")
  String hub;

  @Option(names = "--token", defaultValue = "${env:OUTPOST_TOKEN}", paramLabel = "TOKEN",
      description = "Your hub bearer token, e.g. the admin token printed at first start (env OUTPOST_TOKEN).")
  String token;

  @Option(names = "--ca-hash", defaultValue = "${env:OUTPOST_CA_HASH}", paramLabel = "sha256:HEX",
      description = "The hub CA pin printed by 'outpost hub' (env OUTPOST_CA_HASH).")
  String caHash;

  HttpResponse<String> send(String method, String path, String jsonBody) throws IOException, InterruptedException {
    requirePresent(hub, "--hub URL", "OUTPOST_HUB");
    requirePresent(token, "--token TOKEN", "OUTPOST_TOKEN");
    requirePresent(caHash, "--ca-hash sha256:HEX", "OUTPOST_CA_HASH");
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(hub.replaceAll("/+$", "") + path))
        .timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + token)
        .header("Accept", "application/json, application/yaml");
    if (jsonBody != null) {
      request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(jsonBody));
    } else {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    }
    return client().send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The body of a 2xx answer; otherwise an exception carrying the hub's message. */
  String call(String method, String path, String jsonBody) throws IOException, InterruptedException {
    HttpResponse<String> response = send(method, path, jsonBody);
    if (response.statusCode() / 100 != 2) {
      throw new IOException("the hub answered " + response.statusCode() + ": " + Json.field(response.body(), "message"));
    }
    return response.body();
  }

  private static void requirePresent(String value, String option, String env) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("missing " + option + " (or set " + env + ")");
    }
  }

  private HttpClient client() {
    try {
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(null, new TrustManager[] {new PinnedCaTrustManager(CaPin.parse(caHash))}, null);
      return HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(10)).build();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot set up TLS: " + e.getMessage(), e);
    }
  }
}
