package io.outpost.tunnel.delivery;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * JSON merge patch (RFC 7386) on parsed JSON ({@code Map}/{@code List}/scalars), shared by the hub
 * (overlays merged onto base manifests) and the agent (the create-or-update fallback of
 * server-side apply). Lists are replaced whole, a {@code null} in the patch removes the field.
 *
 * <pre>{@code
 * Map<String, Object> merged = MergePatch.apply(base, overlay);
 * Map<String, Object> patch = MergePatch.diff(lastApplied, desired); // what turns one into the other
 * }</pre>
 */
public final class MergePatch {

  private MergePatch() {}

  /** A new map: {@code target} with {@code patch} merged onto it; neither argument is changed. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> apply(Map<String, Object> target, Map<String, Object> patch) {
    Map<String, Object> result = new LinkedHashMap<>(target);
    for (Map.Entry<String, Object> e : patch.entrySet()) {
      Object value = e.getValue();
      if (value == null) {
        result.remove(e.getKey());
      } else if (value instanceof Map<?, ?> patchMap) {
        Object current = result.get(e.getKey());
        Map<String, Object> base = current instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
        result.put(e.getKey(), apply(base, (Map<String, Object>) patchMap));
      } else {
        result.put(e.getKey(), value);
      }
    }
    return result;
  }

  /**
   * The merge patch that turns {@code from} into {@code to} for the fields either of them has:
   * fields only in {@code from} become {@code null} (removed), changed fields take {@code to}'s value.
   */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> diff(Map<String, Object> from, Map<String, Object> to) {
    Map<String, Object> patch = new LinkedHashMap<>();
    for (String key : from.keySet()) {
      if (!to.containsKey(key)) {
        patch.put(key, null);
      }
    }
    for (Map.Entry<String, Object> e : to.entrySet()) {
      Object old = from.get(e.getKey());
      Object now = e.getValue();
      if (old instanceof Map<?, ?> oldMap && now instanceof Map<?, ?> newMap) {
        Map<String, Object> nested = diff((Map<String, Object>) oldMap, (Map<String, Object>) newMap);
        if (!nested.isEmpty()) {
          patch.put(e.getKey(), nested);
        }
      } else if (!Objects.equals(old, now) || !from.containsKey(e.getKey())) {
        patch.put(e.getKey(), now);
      }
    }
    return patch;
  }

  /**
   * The paths of the fields in {@code desired} whose value differs in {@code live} (fields only in
   * {@code live}, such as the status or defaults the apiserver filled in, are not ours and do not count).
   */
  @SuppressWarnings("unchecked")
  public static List<String> differingFields(Map<String, Object> desired, Map<String, Object> live,
      String prefix) {
    List<String> fields = new ArrayList<>();
    for (Map.Entry<String, Object> e : desired.entrySet()) {
      String path = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
      Object want = e.getValue();
      Object have = live.get(e.getKey());
      if (want instanceof Map<?, ?> wantMap && have instanceof Map<?, ?> haveMap) {
        fields.addAll(differingFields((Map<String, Object>) wantMap, (Map<String, Object>) haveMap, path));
      } else if (!sameJson(want, have)) {
        fields.add(path);
      }
    }
    return fields;
  }

  /** Numbers compare by value: 2 parsed as Integer on one side and Long on the other are equal. */
  private static boolean sameJson(Object a, Object b) {
    if (a instanceof Number x && b instanceof Number y) {
      return new BigDecimal(x.toString()).compareTo(new BigDecimal(y.toString())) == 0;
    }
    return Objects.equals(a, b);
  }
}
