package io.outpost.tunnel;

import java.net.URI;
import java.util.Locale;

/**
 * The one rule for what may cross the tunnel as a request target: a path below the member
 * cluster's apiserver root. Both ends apply it, so an agent is never an open relay even for a hub
 * that is compromised or buggy.
 *
 * <pre>{@code
 * ApiPaths.check("/api/v1/pods");          // ok
 * ApiPaths.check("/api/../../etc/passwd"); // IllegalArgumentException
 * URI target = ApiPaths.resolve(URI.create("https://10.0.0.1:6443"), "/api/v1/pods", "watch=1");
 * }</pre>
 */
public final class ApiPaths {

  private ApiPaths() {}

  /**
   * @throws IllegalArgumentException naming the path and the reason when it could leave the
   *     apiserver root: not absolute, a scheme or authority, dot segments (also percent-encoded),
   *     encoded slashes or backslashes, or control characters
   */
  public static String check(String path) {
    if (path == null || path.isEmpty() || path.charAt(0) != '/') {
      throw refuse(path, "it must start with '/'");
    }
    if (path.startsWith("//")) {
      throw refuse(path, "it names another host");
    }
    String lower = path.toLowerCase(Locale.ROOT);
    if (lower.contains("://")) {
      throw refuse(path, "it is an absolute URL");
    }
    if (lower.contains("%2f") || lower.contains("%5c") || path.indexOf('\\') >= 0) {
      throw refuse(path, "it contains an encoded slash or a backslash");
    }
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c < 0x20 || c == 0x7f || c == '?' || c == '#') {
        throw refuse(path, "it contains a control character, '?' or '#'");
      }
    }
    for (String segment : lower.split("/", -1)) {
      String decoded = segment.replace("%2e", ".");
      if (decoded.equals(".") || decoded.equals("..")) {
        throw refuse(path, "it contains a '.' or '..' segment");
      }
    }
    return path;
  }

  /**
   * Resolves a checked path and raw query against the apiserver base URL and verifies that the
   * result still points at the same scheme, host and port below the base path.
   */
  public static URI resolve(URI apiserver, String path, String rawQuery) {
    check(path);
    String base = apiserver.toString();
    if (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    String query = rawQuery == null || rawQuery.isEmpty() ? "" : "?" + rawQuery;
    URI target;
    try {
      target = URI.create(base + path + query);
    } catch (IllegalArgumentException e) {
      throw refuse(path, "it is not a valid URI (" + e.getMessage() + ")");
    }
    if (!apiserver.getScheme().equalsIgnoreCase(target.getScheme())
        || !apiserver.getHost().equalsIgnoreCase(target.getHost())
        || apiserver.getPort() != target.getPort()
        || !target.getRawPath().startsWith(apiserver.getRawPath() == null ? "" : apiserver.getRawPath())) {
      throw refuse(path, "it resolves outside " + apiserver);
    }
    return target;
  }

  private static IllegalArgumentException refuse(String path, String why) {
    return new IllegalArgumentException(
        "request path \"" + path + "\" is refused: " + why
            + "; only paths below the member cluster's apiserver are proxied");
  }
}
