package io.outpost.tunnel.server;

import java.math.BigInteger;
import java.security.cert.X509Certificate;
import javax.security.auth.x500.X500Principal;

/**
 * Who is on the other end of an mTLS call: the cluster name is the client certificate's CN, as
 * issued by the hub CA at join time; the serial tells two certificates for one name apart.
 */
public record AgentIdentity(String clusterName, String serial, X509Certificate certificate) {

  static AgentIdentity of(X509Certificate cert) {
    return new AgentIdentity(commonName(cert.getSubjectX500Principal()), hex(cert.getSerialNumber()), cert);
  }

  private static String commonName(X500Principal subject) {
    for (String rdn : subject.getName(X500Principal.RFC2253).split(",")) {
      if (rdn.startsWith("CN=")) {
        return rdn.substring(3);
      }
    }
    return "";
  }

  private static String hex(BigInteger serial) {
    return serial.toString(16);
  }
}
