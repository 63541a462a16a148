package io.outpost.agent.nodeproxy;

import java.util.List;
import java.util.Map;

/**
 * A request to the Kubernetes API, classified for caching: which verb (GET of one object, LIST,
 * WATCH, a write, or anything else), which resource ({@code group/version/resource}, core group
 * empty: {@code /v1/pods}), namespace ("" for all or cluster-scoped), name and subresource.
 *
 * <pre>{@code
 * ApiRequest r = ApiRequest.parse("GET", "/api/v1/namespaces/default/pods", Map.of("watch", List.of("true")));
 * r.verb();      // WATCH
 * r.resource();  // "/v1/pods"
 * }</pre>
 */
public record ApiRequest(Verb verb, String method, String group, String version, String plural, String namespace,
                         String name, String subresource, Map<String, List<String>> query) {

  /** What the request does, as far as the cache cares. */
  public enum Verb {
    /** GET of one object (no subresource). */
    GET,
    /** GET of a collection without {@code watch}. */
    LIST,
    /** GET of a collection with {@code watch=true|1}. */
    WATCH,
    /** POST, PUT, PATCH, DELETE on a resource. */
    WRITE,
    /** Anything else: discovery, /version, subresource GETs, non-resource paths. Forwarded, never cached. */
    OTHER
  }

  /** Classifies a request from its method, decoded path and decoded query parameters. */
  public static ApiRequest parse(String method, String path, Map<String, List<String>> query) {
    String[] all = path.split("/");
    // all[0] is "" (path starts with '/')
    int i;
    String group;
    String version;
    if (all.length >= 3 && all[1].equals("api")) {
      group = "";
      version = all[2];
      i = 3;
    } else if (all.length >= 4 && all[1].equals("apis")) {
      group = all[2];
      version = all[3];
      i = 4;
    } else {
      return other(method, query);
    }
    String[] rest = java.util.Arrays.copyOfRange(all, i, all.length);
    String namespace = "";
    String plural;
    String name = null;
    String sub = null;
    if (rest.length >= 3 && rest[0].equals("namespaces")) {
      namespace = rest[1];
      plural = rest[2];
      name = rest.length > 3 ? rest[3] : null;
      sub = rest.length > 4 ? String.join("/", java.util.Arrays.copyOfRange(rest, 4, rest.length)) : null;
    } else if (rest.length >= 1 && !rest[0].isEmpty() && !rest[0].equals("watch")) {
      plural = rest[0];
      name = rest.length > 1 ? rest[1] : null;
      sub = rest.length > 2 ? String.join("/", java.util.Arrays.copyOfRange(rest, 2, rest.length)) : null;
    } else {
      return other(method, query);
    }
    if (plural.isEmpty() || (name != null && name.isEmpty())) {
      return other(method, query);
    }
    Verb verb = switch (method) {
      case "GET" -> {
        if (sub != null) {
          yield Verb.OTHER;
        } else if (name != null) {
          yield Verb.GET;
        } else {
          yield isWatch(query) ? Verb.WATCH : Verb.LIST;
        }
      }
      case "POST", "PUT", "PATCH", "DELETE" -> Verb.WRITE;
      default -> Verb.OTHER;
    };
    return new ApiRequest(verb, method, group, version, plural, namespace, name, sub, query);
  }

  private static ApiRequest other(String method, Map<String, List<String>> query) {
    return new ApiRequest(Verb.OTHER, method, "", "", "", "", null, null, query);
  }

  private static boolean isWatch(Map<String, List<String>> query) {
    String watch = first(query, "watch");
    return watch != null && (watch.equals("true") || watch.equals("1"));
  }

  /** The first value of a query parameter, or {@code null}. */
  public static String first(Map<String, List<String>> query, String name) {
    List<String> values = query.get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  /** The first value of a query parameter, or {@code null}. */
  public String param(String name) {
    return first(query, name);
  }

  /** The cache's resource key: {@code group/version/resource}, core group empty. */
  public String resource() {
    return group + "/" + version + "/" + plural;
  }

  /** The object's {@code apiVersion}: {@code v1} for the core group, {@code group/version} otherwise. */
  public String apiVersion() {
    return group.isEmpty() ? version : group + "/" + version;
  }

  /** Whether the path names a namespace. */
  public boolean namespaced() {
    return !namespace.isEmpty();
  }
}
