package io.outpost.sandbox;

import io.outpost.tunnel.pki.CertificateAuthority;
import io.outpost.tunnel.pki.IssuedCertificate;
import io.outpost.tunnel.pki.Pem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The serving certificate of an HTTPS sandbox, as a real apiserver has one: a throw-away CA of its
 * own (nothing else trusts it) and a server certificate for {@code 127.0.0.1} and
 * {@code localhost} issued by it. Clients trust the CA, from the kubeconfig's
 * {@code certificate-authority-data} or {@link #ca()}.
 */
final class SandboxTls {

  private static final Duration VALIDITY = Duration.ofDays(30);

  private final X509Certificate ca;
  private final IssuedCertificate server;

  private SandboxTls(X509Certificate ca, IssuedCertificate server) {
    this.ca = ca;
    this.server = server;
  }

  /** Makes a new CA and server certificate; the CA's files live only until this returns. */
  static SandboxTls create(String sandboxName) {
    Path dir = null;
    try {
      dir = Files.createTempDirectory("outpost-sandbox-pki");
      CertificateAuthority authority = CertificateAuthority.loadOrCreate(dir.resolve("ca"),
          "outpost sandbox " + sandboxName + " apiserver CA", Clock.systemUTC());
      IssuedCertificate server = authority.issueServer(List.of("localhost"), List.of("127.0.0.1"), VALIDITY);
      return new SandboxTls(authority.certificate(), server);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make the sandbox's serving certificate: " + e.getMessage(), e);
    } finally {
      deleteQuietly(dir);
    }
  }

  X509Certificate ca() {
    return ca;
  }

  /** Server certificate then CA, PEM: what the server presents. */
  String chainPem() {
    return Pem.encode(server.chain(ca));
  }

  String keyPem() {
    return Pem.encode(server.privateKey());
  }

  /** The CA as base64 PEM, the form of kubeconfig's {@code certificate-authority-data} and fabric8's caCertData. */
  String caData() {
    return Base64.getEncoder().encodeToString(Pem.encode(ca).getBytes(StandardCharsets.US_ASCII));
  }

  private static void deleteQuietly(Path dir) {
    if (dir == null) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // A temp dir left behind holds a throw-away test CA; nothing depends on its removal.
    }
  }
}
