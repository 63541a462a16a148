package io.outpost.agent.nodeproxy;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The kind of a resource ({@code pods} → {@code Pod}), needed to answer from the cache: a list's kind,
 * and the kind put into list items, which carry none, when they are recorded ({@link TypeMeta}).
 * Kinds seen in API answers while online are learned; the well-known ones node components read are
 * built in, and anything else falls back to a capitalised singular.
 */
final class Kinds {

  private static final Map<String, String> KNOWN = Map.ofEntries(
      Map.entry("pods", "Pod"), Map.entry("nodes", "Node"), Map.entry("services", "Service"),
      Map.entry("endpoints", "Endpoints"), Map.entry("endpointslices", "EndpointSlice"),
      Map.entry("configmaps", "ConfigMap"), Map.entry("secrets", "Secret"), Map.entry("namespaces", "Namespace"),
      Map.entry("leases", "Lease"), Map.entry("events", "Event"), Map.entry("serviceaccounts", "ServiceAccount"),
      Map.entry("persistentvolumes", "PersistentVolume"),
      Map.entry("persistentvolumeclaims", "PersistentVolumeClaim"), Map.entry("csidrivers", "CSIDriver"),
      Map.entry("csinodes", "CSINode"), Map.entry("runtimeclasses", "RuntimeClass"),
      Map.entry("deployments", "Deployment"), Map.entry("replicasets", "ReplicaSet"),
      Map.entry("daemonsets", "DaemonSet"), Map.entry("statefulsets", "StatefulSet"),
      Map.entry("ingresses", "Ingress"), Map.entry("networkpolicies", "NetworkPolicy"),
      Map.entry("storageclasses", "StorageClass"), Map.entry("volumeattachments", "VolumeAttachment"));

  private final Map<String, String> learned = new ConcurrentHashMap<>();

  /** Remembers the kind of {@code resource} from an object or list kind seen online. */
  void learn(String resource, String kind) {
    if (kind == null || kind.equals("Status") || kind.equals("List")) {
      // "List" is what some servers (the fabric8 mock among them) call every list: no kind to learn.
      return;
    }
    String object = kind.endsWith("List") ? kind.substring(0, kind.length() - 4) : kind;
    if (!object.isEmpty()) {
      learned.put(resource, object);
    }
  }

  String kindOf(ApiRequest request) {
    String kind = learned.get(request.resource());
    if (kind != null) {
      return kind;
    }
    kind = KNOWN.get(request.plural());
    if (kind != null) {
      return kind;
    }
    String singular = request.plural();
    if (singular.endsWith("ies")) {
      singular = singular.substring(0, singular.length() - 3) + "y";
    } else if (singular.endsWith("s")) {
      singular = singular.substring(0, singular.length() - 1);
    }
    return singular.isEmpty() ? "Unknown" : Character.toUpperCase(singular.charAt(0)) + singular.substring(1);
  }
}
