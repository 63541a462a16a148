package io.outpost.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micronaut.http.netty.NettyTlsUtils;
import io.micronaut.http.ssl.ServerSslConfiguration;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import org.junit.jupiter.api.Test;

/**
 * The hub's HTTPS server encrypts with BoringSSL, not the JDK's engine (which costs its threads
 * about 15 % more CPU for a large LIST, see BENCHMARKS.md). Netty falls back to the JDK silently
 * when the native library does not load, e.g. after a Netty upgrade without the matching
 * netty-tcnative: this test is what notices.
 */
class HubTlsEngineTest {

  @Test
  void theHttpsServerChoosesBoringSslWithItsDefaultSettings() {
    SslProvider chosen = NettyTlsUtils.sslProvider(new ServerSslConfiguration());
    assertEquals(SslProvider.OPENSSL_REFCNT, chosen, () -> "the hub's HTTPS server would use " + chosen
        + "; native TLS unavailable because: " + OpenSsl.unavailabilityCause()
        + " (is netty-tcnative-boringssl-static on the class path, in the version Netty expects?)");
  }
}
