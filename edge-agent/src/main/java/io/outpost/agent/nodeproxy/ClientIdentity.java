package io.outpost.agent.nodeproxy;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Locale;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Who is asking: the CN of the verified client certificate when the proxy serves HTTPS and the
 * client presented one ({@code system:node:edge-1}), else the User-Agent's program name, the text
 * before the first '/' ({@code "kubelet/v1.32.0 (linux/amd64) kubernetes/abc"} → {@code "kubelet"}).
 * Answers are cached per identity, so a kubelet and a CNI plugin never see each other's entries.
 * On plain HTTP (loopback, as yurthub does) the user agent is the only identity there is.
 */
public final class ClientIdentity {

  /** The identity of a request without a usable User-Agent. */
  public static final String UNKNOWN = "unknown";

  private ClientIdentity() {}

  /** The identity of a request on {@code session} (null on plain HTTP) with {@code userAgent}. */
  public static String of(SSLSession session, String userAgent) {
    return fromSession(session).orElseGet(() -> fromUserAgent(userAgent));
  }

  /** The CN of the session's verified peer certificate, if the client presented one. */
  static Optional<String> fromSession(SSLSession session) {
    if (session == null) {
      return Optional.empty();
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate leaf ? commonName(leaf) : Optional.empty();
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty();
    }
  }

  /** The certificate subject's CN, stripped, at most 63 characters, if it has a usable one. */
  static Optional<String> commonName(X509Certificate certificate) {
    try {
      for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          String cn = rdn.getValue().toString().strip();
          boolean printable = cn.chars().allMatch(c -> c > 0x20 && c < 0x7f);
          if (!cn.isEmpty() && printable) {
            return Optional.of(cn.length() > 63 ? cn.substring(0, 63) : cn);
          }
        }
      }
    } catch (InvalidNameException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  /** The program name of {@code userAgent}, lower-cased, restricted to {@code [a-z0-9._-]}; never empty. */
  public static String fromUserAgent(String userAgent) {
    if (userAgent == null) {
      return UNKNOWN;
    }
    String program = userAgent.strip();
    int slash = program.indexOf('/');
    if (slash >= 0) {
      program = program.substring(0, slash);
    }
    int space = program.indexOf(' ');
    if (space >= 0) {
      program = program.substring(0, space);
    }
    StringBuilder out = new StringBuilder();
    for (char c : program.toLowerCase(Locale.ROOT).toCharArray()) {
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_') {
        out.append(c);
      }
    }
    if (out.length() > 63) {
      out.setLength(63);
    }
    while (out.length() > 0 && !Character.isLetterOrDigit(out.charAt(0))) {
      out.deleteCharAt(0);
    }
    while (out.length() > 0 && !Character.isLetterOrDigit(out.charAt(out.length() - 1))) {
      out.setLength(out.length() - 1);
    }
    return out.length() == 0 ? UNKNOWN : out.toString();
  }
}
