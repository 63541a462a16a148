package io.outpost.agent.nodeproxy;

import java.util.Locale;

/**
 * Who is asking: the User-Agent's program name, the text before the first '/'
 * ({@code "kubelet/v1.32.0 (linux/amd64) kubernetes/abc"} → {@code "kubelet"}). Answers are cached per
 * identity, so a kubelet and a CNI plugin never see each other's entries.
 *
 * <p>Client certificates are not used: the proxy listens on plain HTTP on loopback (as yurthub
 * does), so the user agent is the only identity there is.
 */
public final class ClientIdentity {

  /** The identity of a request without a usable User-Agent. */
  public static final String UNKNOWN = "unknown";

  private ClientIdentity() {}

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
