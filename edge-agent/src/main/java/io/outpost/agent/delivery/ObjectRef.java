package io.outpost.agent.delivery;

import java.util.Map;

/** Which object: enough to find it again (for prune) and to name it in a report ({@code kind/namespace/name}). */
record ObjectRef(String apiVersion, String kind, String namespace, String name) {

  @SuppressWarnings("unchecked")
  static ObjectRef of(Map<String, Object> object) {
    Map<String, Object> meta = (Map<String, Object>) object.get("metadata");
    Object ns = meta.get("namespace");
    return new ObjectRef((String) object.get("apiVersion"), (String) object.get("kind"),
        ns instanceof String s && !s.isEmpty() ? s : null, (String) meta.get("name"));
  }

  /** The form kept in the inventory: one line per object. */
  String key() {
    return apiVersion + "|" + kind + "|" + (namespace == null ? "" : namespace) + "|" + name;
  }

  static ObjectRef parse(String key) {
    String[] p = key.split("\\|", -1);
    return new ObjectRef(p[0], p[1], p[2].isEmpty() ? null : p[2], p[3]);
  }

  @Override
  public String toString() {
    return kind + "/" + (namespace == null ? "" : namespace + "/") + name;
  }
}
