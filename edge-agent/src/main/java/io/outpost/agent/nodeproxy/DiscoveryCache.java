package io.outpost.agent.nodeproxy;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The API discovery documents ({@code /api}, {@code /apis}, {@code /api/v1}, {@code /apis/GROUP/VERSION},
 * {@code /version}) last answered online, per requested {@code Accept} (kubectl asks for aggregated
 * discovery by content negotiation), so that a client with no discovery cache of its own, such as a
 * kubectl run for the first time during an outage, can still resolve resource names. Kept in memory:
 * a few tens of kilobytes, refreshed by every client that asks while the API server is reachable.
 */
final class DiscoveryCache {

  private static final Pattern DISCOVERY = Pattern.compile("/api|/apis|/api/v1|/apis/[^/]+/[^/]+|/version");
  private static final int MAX_ENTRIES = 256;

  /** One answer: its content type and body. */
  record Answer(String contentType, byte[] body) {}

  private final Map<String, Answer> answers = new ConcurrentHashMap<>();

  /** Whether a GET of {@code path} (decoded, without query) is a discovery request. */
  static boolean isDiscovery(String method, String path) {
    String p = path.endsWith("/") && path.length() > 1 ? path.substring(0, path.length() - 1) : path;
    return "GET".equals(method) && DISCOVERY.matcher(p).matches();
  }

  static String key(String path, String accept) {
    String p = path.endsWith("/") && path.length() > 1 ? path.substring(0, path.length() - 1) : path;
    return p + " " + (accept == null ? "" : accept);
  }

  void put(String key, String contentType, byte[] body) {
    if (answers.size() < MAX_ENTRIES || answers.containsKey(key)) {
      answers.put(key, new Answer(contentType == null ? "application/json" : contentType, body));
    }
  }

  Optional<Answer> get(String key) {
    return Optional.ofNullable(answers.get(key));
  }
}
