package io.outpost.agent.identity;

import io.grpc.ChannelCredentials;
import io.outpost.tunnel.pki.Pem;
import io.outpost.tunnel.pki.Tls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Properties;

/**
 * The agent's identity on disk, written by {@code outpost agent join}: {@code agent.properties}
 * (hub address, cluster name), {@code agent.pem} (certificate and key in one file, replaced
 * atomically so a crash never pairs a certificate with the wrong key) and the pinned {@code ca.crt}.
 * A restarted agent reconnects with these; it never needs the token again.
 */
public final class AgentIdentityFiles {

  private static final String PROPERTIES = "agent.properties";
  private static final String CREDENTIALS = "agent.pem";

  private final Path dir;
  private volatile Identity current;

  /** The hub to dial and the credentials to dial it with. */
  public record Identity(String hubHost, int hubPort, String clusterName, X509Certificate certificate,
      PrivateKey key, X509Certificate ca) {
    public ChannelCredentials credentials() {
      return Tls.mutualCredentials(certificate, key, ca);
    }
  }

  private AgentIdentityFiles(Path dir, Identity identity) {
    this.dir = dir;
    this.current = identity;
  }

  public static boolean exists(Path dir) {
    return Files.isRegularFile(dir.resolve(PROPERTIES));
  }

  /** @throws IllegalStateException naming the data dir and what to do when it holds no identity */
  public static AgentIdentityFiles load(Path dir) {
    if (!exists(dir)) {
      throw new IllegalStateException("this agent has not joined a hub: " + dir.resolve(PROPERTIES)
          + " does not exist; run 'outpost agent join --hub HOST:PORT --token TOKEN --ca-hash sha256:... --name NAME"
          + " --data-dir " + dir + "' first");
    }
    try {
      Properties p = new Properties();
      p.load(Files.newBufferedReader(dir.resolve(PROPERTIES), StandardCharsets.UTF_8));
      Identity identity = new Identity(p.getProperty("hub.host"), Integer.parseInt(p.getProperty("hub.port")),
          p.getProperty("cluster.name"), Pem.readCertificate(dir.resolve(CREDENTIALS)),
          Pem.readPrivateKey(dir.resolve(CREDENTIALS)), Pem.readCertificate(dir.resolve("ca.crt")));
      return new AgentIdentityFiles(dir, identity);
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("the agent identity in " + dir + " cannot be read (" + e.getMessage()
          + "); join again with a new token into an empty --data-dir", e);
    }
  }

  /** Writes a fresh identity; the properties file last, as it marks the join complete. */
  public static AgentIdentityFiles save(Path dir, Identity identity) throws IOException {
    Files.createDirectories(dir);
    Pem.write(dir.resolve("ca.crt"), identity.ca());
    writeKeyAndCertificate(dir, identity.certificate(), identity.key());
    Properties p = new Properties();
    p.setProperty("hub.host", identity.hubHost());
    p.setProperty("hub.port", Integer.toString(identity.hubPort()));
    p.setProperty("cluster.name", identity.clusterName());
    StringBuilder text = new StringBuilder("# written by 'outpost agent join'\n");
    p.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
    Pem.writeAtomically(dir.resolve(PROPERTIES), text.toString().getBytes(StandardCharsets.UTF_8), false);
    return new AgentIdentityFiles(dir, identity);
  }

  public Identity current() {
    return current;
  }

  /** Replaces the certificate and key after a renewal; used from the next connection on. */
  public void renewed(X509Certificate certificate, PrivateKey key) {
    try {
      writeKeyAndCertificate(dir, certificate, key);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot store the renewed certificate in " + dir + ": " + e.getMessage(), e);
    }
    Identity old = current;
    current = new Identity(old.hubHost(), old.hubPort(), old.clusterName(), certificate, key, old.ca());
  }

  private static void writeKeyAndCertificate(Path dir, X509Certificate certificate, PrivateKey key)
      throws IOException {
    String pem = Pem.encode(certificate) + Pem.encode(key);
    Pem.writeAtomically(dir.resolve(CREDENTIALS), pem.getBytes(StandardCharsets.US_ASCII), true);
  }
}
