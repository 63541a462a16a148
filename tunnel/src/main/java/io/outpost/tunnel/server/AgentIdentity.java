package io.outpost.tunnel.server;

import io.outpost.tunnel.pki.Certificates;
import java.security.cert.X509Certificate;

/**
 * Who is on the other end of an mTLS call: the cluster name is the client certificate's CN, as
 * issued by the hub CA at join time; the serial tells two certificates for one name apart.
 */
public record AgentIdentity(String clusterName, String serial, X509Certificate certificate) {

  /**
   * The calling cluster inside a call the tunnel server admitted (the tunnel's own methods or a
   * feature service bound next to them).
   *
   * @throws IllegalStateException outside such a call
   */
  public static AgentIdentity current() {
    AgentIdentity identity = IdentityInterceptor.IDENTITY.get();
    if (identity == null) {
      throw new IllegalStateException("no agent identity: not inside a call admitted by the tunnel server");
    }
    return identity;
  }

  static AgentIdentity of(X509Certificate cert) {
    return new AgentIdentity(Certificates.commonName(cert).orElse(""), serialOf(cert), cert);
  }

  /** The form in which the registry keeps a certificate's serial: lower-case hex. */
  public static String serialOf(X509Certificate cert) {
    return cert.getSerialNumber().toString(16);
  }
}
