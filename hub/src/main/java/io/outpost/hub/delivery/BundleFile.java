package io.outpost.hub.delivery;

import io.outpost.hub.delivery.BundleSpec.Amount;
import io.outpost.hub.delivery.BundleSpec.ClusterMatch;
import io.outpost.hub.delivery.BundleSpec.Customization;
import io.outpost.hub.delivery.BundleSpec.Rollout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads the bundle file, {@value #NAME}, strictly: an unknown field, a wrong type or a missing
 * required field is an error that names the field and the file.
 *
 * <pre>{@code
 * name: web                      # required; [a-z0-9-], up to 63 characters
 * namespace: web                 # namespace for namespaced objects that name none
 * drift: correct                 # report (default) | correct
 * values: {replicas: "2"}        # ${values.replicas} in manifests
 * targets:                       # required; a cluster matching any target is selected
 *   - clusterSelector: {env: prod}
 *     kinds: [edge]
 *     names: [edge-sh-01]
 * exclude:
 *   - names: [edge-sh-09]
 * customizations:                # applied in order to the clusters they match
 *   - match: {clusterSelector: {region: sh}}
 *     values: {greeting: nihao}
 *     overlay: overlays/sh       # merged onto the base by JSON merge patch
 *     namespace: web-sh          # overrides every namespaced object's namespace
 * rollout:
 *   canary: {names: [edge-sh-01]}   # or a count: canary: 1
 *   batchSize: 25%                  # or a count; default 100%
 *   maxUnavailable: 2               # default 100%
 *   failureThreshold: 0             # halt when more clusters than this failed
 *   waitForOffline: false           # true: an offline cluster holds its wave
 * }</pre>
 */
public final class BundleFile {

  public static final String NAME = "outpost-bundle.yaml";

  private static final Set<String> TOP = Set.of("name", "namespace", "drift", "values", "targets", "exclude",
      "customizations", "rollout");
  private static final Set<String> MATCH = Set.of("clusterSelector", "kinds", "names");
  private static final Set<String> CUSTOMIZATION = Set.of("match", "values", "overlay", "namespace");
  private static final Set<String> ROLLOUT = Set.of("canary", "batchSize", "maxUnavailable", "failureThreshold",
      "waitForOffline");

  private final String file;

  private BundleFile(String file) {
    this.file = file;
  }

  /**
   * Parses the bundle file's content.
   *
   * @param file how to name the file in messages, e.g. {@code apps/web/outpost-bundle.yaml}
   */
  public static BundleSpec parse(String file, byte[] content) throws DeliveryException {
    List<Object> docs = Manifests.parseYaml(file, content);
    if (docs.size() != 1 || !(docs.get(0) instanceof Map<?, ?>)) {
      throw new DeliveryException(file + ": expected one YAML mapping with at least name and targets");
    }
    return new BundleFile(file).spec(cast(docs.get(0)));
  }

  /** The bundle's name if the file has a readable one, even when the rest is invalid (to report against it). */
  static String nameOrNull(byte[] content) {
    try {
      List<Object> docs = Manifests.parseYaml("", content);
      return docs.size() == 1 && docs.get(0) instanceof Map<?, ?> m && m.get("name") instanceof String s
          && s.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?") ? s : null;
    } catch (DeliveryException e) {
      return null;
    }
  }

  private BundleSpec spec(Map<String, Object> root) throws DeliveryException {
    known(root, TOP, "");
    String name = string(root, "name", "", true);
    if (!name.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
      throw error("name", "\"" + name + "\" (expected: lower-case letters, digits and '-', up to 63 characters)");
    }
    String drift = string(root, "drift", "", false);
    if (drift != null && !drift.equals("report") && !drift.equals("correct")) {
      throw error("drift", "\"" + drift + "\" (expected: report or correct)");
    }
    if (!root.containsKey("targets")) {
      throw error("targets", "missing (expected: a list of cluster selectors, e.g. - clusterSelector: {env: prod})");
    }
    List<ClusterMatch> targets = matches(root.get("targets"), "targets");
    if (targets.isEmpty()) {
      throw error("targets", "empty (expected: at least one target; {} selects every cluster)");
    }
    return new BundleSpec(name, string(root, "namespace", "", false), "correct".equals(drift),
        stringMap(root.get("values"), "values"), targets, matches(root.get("exclude"), "exclude"),
        customizations(root.get("customizations")), rollout(root.get("rollout")));
  }

  private List<ClusterMatch> matches(Object value, String where) throws DeliveryException {
    List<ClusterMatch> result = new ArrayList<>();
    List<Object> items = list(value, where);
    for (int i = 0; i < items.size(); i++) {
      result.add(match(items.get(i), where + "[" + i + "]"));
    }
    return result;
  }

  private ClusterMatch match(Object value, String where) throws DeliveryException {
    Map<String, Object> m = map(value, where);
    known(m, MATCH, where);
    return new ClusterMatch(stringMap(m.get("clusterSelector"), where + ".clusterSelector"),
        stringList(m.get("kinds"), where + ".kinds"), stringList(m.get("names"), where + ".names"));
  }

  private List<Customization> customizations(Object value) throws DeliveryException {
    List<Customization> result = new ArrayList<>();
    List<Object> items = list(value, "customizations");
    for (int i = 0; i < items.size(); i++) {
      String where = "customizations[" + i + "]";
      Map<String, Object> m = map(items.get(i), where);
      known(m, CUSTOMIZATION, where);
      if (!m.containsKey("match")) {
        throw error(where + ".match", "missing (expected: the clusters it applies to, e.g. {names: [edge-1]})");
      }
      String overlay = string(m, "overlay", where + ".", false);
      if (overlay != null && (overlay.startsWith("/") || overlay.contains(".."))) {
        throw error(where + ".overlay", "\"" + overlay + "\" (expected: a directory inside the bundle's path)");
      }
      result.add(new Customization(match(m.get("match"), where + ".match"),
          stringMap(m.get("values"), where + ".values"), overlay, string(m, "namespace", where + ".", false)));
    }
    return result;
  }

  private Rollout rollout(Object value) throws DeliveryException {
    if (value == null) {
      return Rollout.DEFAULT;
    }
    Map<String, Object> m = map(value, "rollout");
    known(m, ROLLOUT, "rollout");
    Object canary = m.get("canary");
    ClusterMatch canaryMatch = null;
    int canaryCount = 0;
    if (canary instanceof Integer n && n >= 0) {
      canaryCount = n;
    } else if (canary != null) {
      canaryMatch = match(canary, "rollout.canary");
    }
    Object threshold = m.getOrDefault("failureThreshold", 0);
    if (!(threshold instanceof Integer t) || t < 0) {
      throw error("rollout.failureThreshold", threshold + " (expected: a count >= 0)");
    }
    Object wait = m.getOrDefault("waitForOffline", false);
    if (!(wait instanceof Boolean w)) {
      throw error("rollout.waitForOffline", wait + " (expected: true or false)");
    }
    return new Rollout(canaryMatch, canaryCount, amount(m.get("batchSize"), "rollout.batchSize"),
        amount(m.get("maxUnavailable"), "rollout.maxUnavailable"), t, w);
  }

  private Amount amount(Object value, String where) throws DeliveryException {
    if (value == null) {
      return Amount.ALL;
    }
    if (value instanceof Integer n && n > 0) {
      return new Amount(n, false);
    }
    if (value instanceof String s && s.matches("\\d{1,3}%")) {
      int percent = Integer.parseInt(s.substring(0, s.length() - 1));
      if (percent >= 1 && percent <= 100) {
        return new Amount(percent, true);
      }
    }
    throw error(where, value + " (expected: a count >= 1 or a percentage like 25%)");
  }

  private void known(Map<String, Object> m, Set<String> allowed, String where) throws DeliveryException {
    for (String key : m.keySet()) {
      if (!allowed.contains(key)) {
        String field = where.isEmpty() ? key : where + "." + key;
        throw new DeliveryException(file + ": unknown field \"" + field + "\" (expected one of: "
            + String.join(", ", new TreeSet<>(allowed)) + ")");
      }
    }
  }

  private String string(Map<String, Object> m, String key, String prefix, boolean required) throws DeliveryException {
    Object v = m.get(key);
    if (v == null) {
      if (required) {
        throw error(prefix + key, "missing");
      }
      return null;
    }
    if (!(v instanceof String s) || s.isBlank()) {
      throw error(prefix + key, v + " (expected: a non-empty string)");
    }
    return s;
  }

  private Map<String, String> stringMap(Object value, String where) throws DeliveryException {
    Map<String, String> result = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : map(value, where).entrySet()) {
      Object v = e.getValue();
      if (v == null || v instanceof Map<?, ?> || v instanceof List<?>) {
        throw error(where + "." + e.getKey(), v + " (expected: a string, number or boolean)");
      }
      result.put(e.getKey(), v.toString());
    }
    return result;
  }

  private List<String> stringList(Object value, String where) throws DeliveryException {
    List<String> result = new ArrayList<>();
    for (Object v : list(value, where)) {
      if (!(v instanceof String s)) {
        throw error(where, v + " (expected: a list of strings)");
      }
      result.add(s);
    }
    return result;
  }

  private Map<String, Object> map(Object value, String where) throws DeliveryException {
    if (value == null) {
      return Map.of();
    }
    if (!(value instanceof Map<?, ?>)) {
      throw error(where, "expected a mapping (key: value), found " + describe(value));
    }
    return cast(value);
  }

  @SuppressWarnings("unchecked")
  private List<Object> list(Object value, String where) throws DeliveryException {
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof List<?>)) {
      throw error(where, "expected a list, found " + describe(value));
    }
    return (List<Object>) value;
  }

  private static String describe(Object value) {
    return value instanceof Map<?, ?> ? "a mapping" : value instanceof List<?> ? "a list" : "\"" + value + "\"";
  }

  private DeliveryException error(String field, String problem) {
    return new DeliveryException(file + ": field \"" + field + "\": " + problem);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> cast(Object value) {
    return (Map<String, Object>) value;
  }
}
