package io.outpost.agent.delivery;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.outpost.tunnel.delivery.BundleReport;
import io.outpost.tunnel.delivery.DesiredBundle;
import io.outpost.tunnel.delivery.ObjectResult;
import io.outpost.tunnel.delivery.Phase;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Brings the cluster to one desired bundle: applies its objects (namespaces first, then CRDs,
 * then the rest), prunes what the bundle owned before and no longer lists, and says how it went.
 * A failing object does not stop the others; the report names each failure with the apiserver's
 * message, so nothing is half-applied without being reported.
 */
final class BundleApplier {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final KubeApplier kube;
  private final BundleStore store;

  BundleApplier(KubeApplier kube, BundleStore store) {
    this.kube = kube;
    this.store = store;
  }

  /** Applies a desired bundle and records it durably; returns the report for the hub. */
  BundleReport apply(DesiredBundle desired) {
    Set<ObjectRef> before = store.inventory(desired.getBundle());
    List<Map<String, Object>> objects;
    try {
      objects = objects(desired);
    } catch (IOException e) {
      return report(desired, Phase.FAILED, "the hub sent an unreadable object: " + e.getMessage(), List.of());
    }
    Set<ObjectRef> wanted = new LinkedHashSet<>();
    objects.forEach(o -> wanted.add(ObjectRef.of(o)));
    Set<ObjectRef> known = new LinkedHashSet<>(before);
    known.addAll(wanted);
    store.save(desired, known); // a crash mid-apply still knows what to prune later

    List<ObjectResult> failures = new ArrayList<>();
    kube.refreshDiscovery();
    boolean crdsApplied = false;
    for (Map<String, Object> object : ordered(objects)) {
      String kind = (String) object.get("kind");
      if (!crdsApplied && !kind.equals("Namespace") && !kind.equals("CustomResourceDefinition")) {
        kube.refreshDiscovery(); // custom resources after their definitions
        crdsApplied = true;
      }
      try {
        kube.apply(object);
      } catch (KubernetesClientException e) {
        failures.add(failure(ObjectRef.of(object), e));
      }
    }
    Set<ObjectRef> remaining = new LinkedHashSet<>(wanted);
    List<ObjectRef> gone = before.stream().filter(r -> !wanted.contains(r))
        .sorted(Comparator.comparing((ObjectRef r) -> rank(r.kind())).reversed()).toList();
    for (ObjectRef ref : gone) {
      try {
        kube.prune(ref, desired.getBundle());
      } catch (KubernetesClientException e) {
        remaining.add(ref);
        failures.add(failure(ref, e).toBuilder().setMessage("prune failed: " + message(e)).build());
      }
    }
    store.save(desired, remaining);
    if (failures.isEmpty()) {
      return report(desired, Phase.SYNCED, objects.size() + " objects applied" + (gone.isEmpty() ? ""
          : ", " + gone.size() + " pruned"), List.of());
    }
    return report(desired, Phase.FAILED, failures.size() + " of " + objects.size() + " objects failed; "
        + failures.get(0).getObject() + ": " + failures.get(0).getMessage(), failures);
  }

  /** Prunes everything a bundle owned and forgets it (the bundle no longer targets this cluster). */
  BundleReport remove(String bundle) {
    List<ObjectResult> failures = new ArrayList<>();
    for (ObjectRef ref : store.inventory(bundle)) {
      try {
        kube.prune(ref, bundle);
      } catch (KubernetesClientException e) {
        failures.add(failure(ref, e));
      }
    }
    store.forget(bundle);
    return BundleReport.newBuilder().setBundle(bundle).setPhase(Phase.REMOVED)
        .setMessage(failures.isEmpty() ? "pruned" : failures.size() + " objects could not be pruned")
        .addAllObjects(failures).build();
  }

  /**
   * Compares the applied objects with the desired ones; corrects them when the bundle says so.
   *
   * @return the report: Synced, or OutOfSync with the drifted objects and fields
   */
  BundleReport checkDrift(DesiredBundle desired) {
    List<ObjectResult> drifted = new ArrayList<>();
    List<Map<String, Object>> objects;
    try {
      objects = objects(desired);
    } catch (IOException e) {
      return report(desired, Phase.FAILED, "stored bundle unreadable: " + e.getMessage(), List.of());
    }
    for (Map<String, Object> object : objects) {
      try {
        List<String> fields = kube.drift(object);
        if (!fields.isEmpty()) {
          drifted.add(ObjectResult.newBuilder().setObject(ObjectRef.of(object).toString()).setDrifted(true)
              .setMessage("differs from Git: " + String.join(", ", fields)).build());
        }
      } catch (KubernetesClientException e) {
        drifted.add(failure(ObjectRef.of(object), e));
      }
    }
    if (drifted.isEmpty()) {
      return report(desired, Phase.SYNCED, objects.size() + " objects in sync", List.of());
    }
    return report(desired, Phase.OUT_OF_SYNC, drifted.size() + " objects differ from Git; "
        + drifted.get(0).getObject() + " " + drifted.get(0).getMessage(), drifted);
  }

  private BundleReport report(DesiredBundle desired, Phase phase, String message, List<ObjectResult> objects) {
    return BundleReport.newBuilder().setBundle(desired.getBundle()).setRevision(desired.getRevision())
        .setPhase(phase).setMessage(message).addAllObjects(objects)
        .setApplyMode(kube.mode() == null ? "" : kube.mode()).build();
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> objects(DesiredBundle desired) throws IOException {
    List<Map<String, Object>> objects = new ArrayList<>();
    for (String json : desired.getObjectsList()) {
      objects.add(KubeApplier.owned(JSON.readValue(json, Map.class), desired.getBundle(), desired.getRevision()));
    }
    return objects;
  }

  private static List<Map<String, Object>> ordered(List<Map<String, Object>> objects) {
    return objects.stream().sorted(Comparator.comparing(o -> rank((String) o.get("kind")))).toList();
  }

  /** Namespaces and CRDs first: what the other objects live in or are instances of. */
  private static int rank(String kind) {
    return switch (kind) {
      case "Namespace" -> 0;
      case "CustomResourceDefinition" -> 1;
      default -> 2;
    };
  }

  private static ObjectResult failure(ObjectRef ref, KubernetesClientException e) {
    return ObjectResult.newBuilder().setObject(ref.toString()).setOk(false).setMessage(message(e)).build();
  }

  /** The apiserver's own message when it sent a Status, else the client's. */
  static String message(KubernetesClientException e) {
    if (e.getStatus() != null && e.getStatus().getMessage() != null) {
      return e.getStatus().getMessage();
    }
    String m = e.getMessage();
    return m == null ? e.getClass().getSimpleName() : m.replaceFirst("^Failure executing: ", "");
  }
}
