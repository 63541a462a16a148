package io.outpost.hub.join;

import io.grpc.ServerCredentials;
import io.outpost.tunnel.pki.CertificateAuthority;
import io.outpost.tunnel.pki.IssuedCertificate;
import io.outpost.tunnel.pki.Tls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The hub's own PKI, in {@code DATA_DIR/pki}: the CA (made on first start, kept), and a serving
 * certificate for the advertised hosts, issued afresh at every start and used by both the tunnel
 * listener and the HTTPS API.
 */
public final class HubPki {

  static final Duration SERVER_CERT_VALIDITY = Duration.ofDays(365);
  private static final Pattern IP = Pattern.compile("^[0-9.]+$|:");

  private final CertificateAuthority ca;
  private final IssuedCertificate server;
  private final Path keystore;
  private final char[] keystorePassword;

  public HubPki(Path dataDir, List<String> advertiseHosts, Clock clock) {
    Path dir = dataDir.resolve("pki");
    this.ca = CertificateAuthority.loadOrCreate(dir, "outpost-hub-ca", clock);
    List<String> dns = new ArrayList<>();
    List<String> ips = new ArrayList<>();
    for (String host : advertiseHosts) {
      (IP.matcher(host).find() ? ips : dns).add(host);
    }
    this.server = ca.issueServer(dns, ips, SERVER_CERT_VALIDITY);
    // The HTTPS server reads a key store; its password only guards a file in our own 0700 data dir.
    this.keystorePassword = "outpost".toCharArray();
    this.keystore = dir.resolve("server.p12");
    try {
      Files.createDirectories(dir);
      Tls.writePkcs12(keystore, chain(), server.privateKey(), keystorePassword);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the hub's key store " + keystore + ": " + e.getMessage(), e);
    }
  }

  public CertificateAuthority ca() {
    return ca;
  }

  /** The {@code sha256:...} pin agents pass as {@code --ca-hash}. */
  public String caPin() {
    return ca.pin();
  }

  public X509Certificate[] chain() {
    return new X509Certificate[] {server.certificate(), ca.certificate()};
  }

  public ServerCredentials tunnelCredentials() {
    return Tls.serverCredentials(chain(), server.privateKey(), ca.certificate());
  }

  public Path keystore() {
    return keystore;
  }

  public String keystorePassword() {
    return new String(keystorePassword);
  }
}
