package io.outpost.hub.delivery;

import io.outpost.hub.delivery.Manifests.Manifest;
import io.outpost.hub.registry.ClusterRecord;
import io.outpost.tunnel.delivery.MergePatch;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Renders a loaded bundle for one cluster: the customizations that match it (in file order, later
 * ones win) give values, overlays and a namespace; overlays are merged onto the base objects they
 * name (JSON merge patch), then {@code ${cluster.name}}, {@code ${cluster.kind}},
 * {@code ${cluster.labels.KEY}} and {@code ${values.KEY}} are substituted in every string.
 *
 * <pre>{@code
 * List<String> objects = Renderer.render(bundle, cluster); // JSON documents, ready to push
 * }</pre>
 */
public final class Renderer {

  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}]+)}");

  /** Kinds without a namespace: a namespace override leaves them alone. */
  private static final Set<String> CLUSTER_SCOPED = Set.of("Namespace", "CustomResourceDefinition", "ClusterRole",
      "ClusterRoleBinding", "PersistentVolume", "StorageClass", "PriorityClass", "Node", "APIService",
      "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "IngressClass", "RuntimeClass");

  private Renderer() {}

  public static List<String> render(LoadedBundle bundle, ClusterRecord cluster) throws DeliveryException {
    BundleSpec spec = bundle.spec();
    Map<String, String> values = new LinkedHashMap<>(spec.values());
    String namespaceOverride = null;
    List<Manifest> overlays = new ArrayList<>();
    for (BundleSpec.Customization c : spec.customizations()) {
      if (c.match().matches(cluster)) {
        values.putAll(c.values());
        if (c.namespace() != null) {
          namespaceOverride = c.namespace();
        }
        if (c.overlay() != null) {
          overlays.addAll(bundle.overlays().get(c.overlay()));
        }
      }
    }
    List<Map<String, Object>> objects = new ArrayList<>();
    for (Manifest base : bundle.base()) {
      Map<String, Object> object = Manifests.copy(base.object());
      for (Manifest overlay : overlays) {
        if (sameObject(base, overlay)) {
          object = MergePatch.apply(object, overlay.object());
        }
      }
      object = substitute(object, base.where(), cluster, values);
      setNamespace(object, namespaceOverride, spec.namespace());
      objects.add(object);
    }
    for (Manifest overlay : overlays) {
      if (bundle.base().stream().noneMatch(b -> sameObject(b, overlay))) {
        throw new DeliveryException(overlay.where() + ": overlay for " + overlay.kind() + " \"" + overlay.name()
            + "\" matches no object of the bundle");
      }
    }
    String ns = namespaceOverride != null ? namespaceOverride : spec.namespace();
    if (ns != null && objects.stream().noneMatch(o -> "Namespace".equals(o.get("kind")) && ns.equals(nameOf(o)))) {
      // The objects go into a namespace the bundle does not create: create it, so they have a home.
      objects.add(0, new LinkedHashMap<>(Map.of("apiVersion", "v1", "kind", "Namespace",
          "metadata", new LinkedHashMap<>(Map.of("name", ns)))));
    }
    return objects.stream().map(Manifests::toJson).toList();
  }

  private static boolean sameObject(Manifest base, Manifest overlay) {
    return base.kind().equals(overlay.kind()) && base.name().equals(overlay.name())
        && (overlay.namespace() == null || overlay.namespace().equals(base.namespace()));
  }

  @SuppressWarnings("unchecked")
  private static void setNamespace(Map<String, Object> object, String override, String defaultNamespace) {
    if (CLUSTER_SCOPED.contains((String) object.get("kind"))) {
      return;
    }
    Map<String, Object> meta = (Map<String, Object>) object.get("metadata");
    if (override != null) {
      meta.put("namespace", override);
    } else if (defaultNamespace != null && !(meta.get("namespace") instanceof String)) {
      meta.put("namespace", defaultNamespace);
    }
  }

  @SuppressWarnings("unchecked")
  private static String nameOf(Map<String, Object> object) {
    return (String) ((Map<String, Object>) object.get("metadata")).get("name");
  }

  @SuppressWarnings("unchecked")
  private static <T> T substitute(T node, String where, ClusterRecord cluster, Map<String, String> values)
      throws DeliveryException {
    if (node instanceof Map<?, ?> map) {
      Map<String, Object> result = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        result.put(substitute((String) e.getKey(), where, cluster, values),
            substitute(e.getValue(), where, cluster, values));
      }
      return (T) result;
    }
    if (node instanceof List<?> list) {
      List<Object> result = new ArrayList<>();
      for (Object item : list) {
        result.add(substitute(item, where, cluster, values));
      }
      return (T) result;
    }
    if (node instanceof String text && text.contains("${")) {
      return (T) substituteText(text, where, cluster, values);
    }
    return node;
  }

  /** A string that is one placeholder whose value is a number or boolean becomes that number or boolean. */
  private static Object substituteText(String text, String where, ClusterRecord cluster, Map<String, String> values)
      throws DeliveryException {
    Matcher m = PLACEHOLDER.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(lookup(m.group(1).trim(), where, cluster, values)));
    }
    m.appendTail(out);
    String result = out.toString();
    if (PLACEHOLDER.matcher(text).matches()) {
      if (result.matches("-?\\d{1,18}")) {
        return Long.parseLong(result);
      }
      if (result.equals("true") || result.equals("false")) {
        return Boolean.parseBoolean(result);
      }
    }
    return result;
  }

  private static String lookup(String key, String where, ClusterRecord cluster, Map<String, String> values)
      throws DeliveryException {
    String value = switch (key) {
      case "cluster.name" -> cluster.name();
      case "cluster.kind" -> cluster.kind();
      default -> key.startsWith("cluster.labels.") ? cluster.labels().get(key.substring("cluster.labels.".length()))
          : key.startsWith("values.") ? values.get(key.substring("values.".length())) : null;
    };
    if (value == null) {
      throw new DeliveryException(where + ": ${" + key + "} has no value for cluster \"" + cluster.name()
          + "\" (known: cluster.name, cluster.kind, cluster.labels.KEY, values.KEY from values: or a customization)");
    }
    return value;
  }
}
