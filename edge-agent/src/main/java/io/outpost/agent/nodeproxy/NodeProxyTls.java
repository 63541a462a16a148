package io.outpost.agent.nodeproxy;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * HTTPS for the node proxy: its serving certificate and key (PEM, key in PKCS#8), and optionally a
 * CA whose client certificates it verifies. With a client CA a client may present a certificate
 * (the kubelet does), and its identity is then the certificate's CN; clients without one are still
 * served and named by their User-Agent. A certificate from another CA fails the handshake.
 *
 * @param certificate PEM certificate chain the proxy presents
 * @param key PEM private key of that certificate
 * @param clientCa PEM CA certificates that client certificates must chain to
 */
public record NodeProxyTls(Path certificate, Path key, Optional<Path> clientCa) {

  public NodeProxyTls {
    Objects.requireNonNull(certificate, "certificate");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(clientCa, "clientCa");
  }

  /** The server context; the message names the file that cannot be read. */
  SslContext serverContext() {
    readable("--tls-cert", certificate);
    readable("--tls-key", key);
    clientCa.ifPresent(ca -> readable("--client-ca", ca));
    try {
      SslContextBuilder builder = SslContextBuilder.forServer(certificate.toFile(), key.toFile());
      if (clientCa.isPresent()) {
        builder.trustManager(clientCa.get().toFile()).clientAuth(ClientAuth.OPTIONAL);
      }
      return builder.build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new IllegalArgumentException("node proxy TLS: cannot use certificate " + certificate + " with key " + key
          + clientCa.map(ca -> " and client CA " + ca).orElse("") + ": " + e.getMessage()
          + " (expected: PEM certificate, PEM PKCS#8 private key)", e);
    }
  }

  private static void readable(String flag, Path file) {
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException(flag + " " + file + ": no such readable file");
    }
  }
}
