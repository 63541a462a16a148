package io.outpost.agent.delivery;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.outpost.tunnel.delivery.MergePatch;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Applies objects to the agent's own cluster and reads them back for drift. Server-side apply
 * with field manager {@value #FIELD_MANAGER} where the apiserver supports it; where it does not
 * (the sandbox, an old apiserver) the fallback is chosen on the first attempt and kept:
 * create-or-update with the applied state recorded in the {@value #LAST_APPLIED} annotation, so
 * fields the bundle stops setting are removed and fields others set are left alone, as with
 * {@code kubectl apply}.
 *
 * <p>Every object carries the owner label {@value #OWNER_LABEL}; prune deletes only objects that
 * carry it with the bundle's name.
 */
final class KubeApplier {

  static final String FIELD_MANAGER = "outpost";
  static final String OWNER_LABEL = "outpost.io/bundle";
  static final String REVISION_ANNOTATION = "outpost.io/revision";
  static final String LAST_APPLIED = "outpost.io/last-applied";
  static final String SERVER_SIDE_APPLY = "server-side-apply";
  static final String CREATE_OR_UPDATE = "create-or-update";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final KubernetesClient client;
  private final Map<String, Optional<APIResourceList>> discovery = new HashMap<>();
  /** Null until the first apply tells which mode this apiserver supports. */
  private volatile String mode;

  KubeApplier(KubernetesClient client) {
    this.client = client;
  }

  String mode() {
    return mode;
  }

  /** Forgets discovery answers (a bundle may have just created a CRD). */
  void refreshDiscovery() {
    discovery.clear();
  }

  /** The object with the marks that make it ours: owner label and revision annotation. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> owned(Map<String, Object> object, String bundle, String revision) {
    Map<String, Object> result = new LinkedHashMap<>(object);
    Map<String, Object> meta = new LinkedHashMap<>((Map<String, Object>) object.get("metadata"));
    Map<String, Object> labels = new LinkedHashMap<>(meta.get("labels") instanceof Map<?, ?> l
        ? (Map<String, Object>) l : Map.of());
    labels.put(OWNER_LABEL, bundle);
    Map<String, Object> annotations = new LinkedHashMap<>(meta.get("annotations") instanceof Map<?, ?> a
        ? (Map<String, Object>) a : Map.of());
    annotations.put(REVISION_ANNOTATION, revision);
    meta.put("labels", labels);
    meta.put("annotations", annotations);
    result.put("metadata", meta);
    return result;
  }

  /** Applies one object (already {@link #owned}); throws with the apiserver's message. */
  void apply(Map<String, Object> desired) {
    ObjectRef ref = ObjectRef.of(desired);
    if (!CREATE_OR_UPDATE.equals(mode)) {
      try {
        resource(ref, desired).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
        mode = SERVER_SIDE_APPLY;
        return;
      } catch (KubernetesClientException e) {
        if (mode != null || !(e.getCode() == 404 || e.getCode() == 405 || e.getCode() == 415)) {
          throw e;
        }
        mode = CREATE_OR_UPDATE; // this apiserver has no server-side apply
      }
    }
    createOrUpdate(resource(ref), desired);
  }

  private void createOrUpdate(Resource<GenericKubernetesResource> resource, Map<String, Object> desired) {
    Map<String, Object> recorded = withAnnotation(desired, LAST_APPLIED, toJson(desired));
    for (int attempt = 1; ; attempt++) {
      GenericKubernetesResource live = resource.get();
      try {
        if (live == null) {
          resource(ObjectRef.of(desired), recorded).create();
        } else {
          Map<String, Object> liveMap = toMap(live);
          Map<String, Object> lastApplied = lastApplied(liveMap);
          // Like kubectl apply: remove what we applied before and no longer want, set all we want.
          Map<String, Object> patch = MergePatch.apply(MergePatch.diff(lastApplied, recorded), recorded);
          resource(ObjectRef.of(desired), MergePatch.apply(liveMap, patch)).update();
        }
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || attempt == 3) {
          throw e;
        }
      }
    }
  }

  /** The fields of {@code desired} (already {@link #owned}) whose live value differs; "(missing)" if gone. */
  List<String> drift(Map<String, Object> desired) {
    GenericKubernetesResource live = resource(ObjectRef.of(desired)).get();
    if (live == null) {
      return List.of("(object is missing)");
    }
    return MergePatch.differingFields(desired, toMap(live), "");
  }

  /** Deletes the object if it still carries this bundle's owner label; true if it is gone. */
  boolean prune(ObjectRef ref, String bundle) {
    Resource<GenericKubernetesResource> resource;
    try {
      resource = resource(ref);
    } catch (UnknownKindException e) {
      return true; // the kind is not served, so no such object exists (its apply failed)
    }
    GenericKubernetesResource live = resource.get();
    if (live == null) {
      return true;
    }
    Map<String, String> labels = live.getMetadata().getLabels();
    if (labels == null || !bundle.equals(labels.get(OWNER_LABEL))) {
      return true; // no longer ours: someone took it over; leave it
    }
    resource.delete();
    return true;
  }

  private Resource<GenericKubernetesResource> resource(ObjectRef ref) {
    return resource(ref, null);
  }

  private Resource<GenericKubernetesResource> resource(ObjectRef ref, Map<String, Object> object) {
    APIResource api = apiResource(ref);
    ResourceDefinitionContext context = new ResourceDefinitionContext.Builder()
        .withGroup(ref.apiVersion().contains("/") ? ref.apiVersion().substring(0, ref.apiVersion().indexOf('/')) : "")
        .withVersion(ref.apiVersion().substring(ref.apiVersion().indexOf('/') + 1))
        .withKind(ref.kind())
        .withPlural(api.getName())
        .withNamespaced(Boolean.TRUE.equals(api.getNamespaced()))
        .build();
    var operation = client.genericKubernetesResources(context);
    if (object != null) {
      GenericKubernetesResource item = JSON.convertValue(object, GenericKubernetesResource.class);
      return context.isNamespaceScoped() ? operation.inNamespace(namespace(ref)).resource(item)
          : operation.resource(item);
    }
    return context.isNamespaceScoped() ? operation.inNamespace(namespace(ref)).withName(ref.name())
        : operation.withName(ref.name());
  }

  private static String namespace(ObjectRef ref) {
    return ref.namespace() == null ? "default" : ref.namespace();
  }

  private APIResource apiResource(ObjectRef ref) {
    Optional<APIResourceList> list = discovery.computeIfAbsent(ref.apiVersion(),
        gv -> Optional.ofNullable(client.getApiResources(gv)));
    return list.flatMap(l -> l.getResources().stream()
            .filter(r -> ref.kind().equals(r.getKind()) && !r.getName().contains("/")).findFirst())
        .orElseThrow(() -> new UnknownKindException(ref));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> lastApplied(Map<String, Object> live) {
    Map<String, Object> meta = (Map<String, Object>) live.getOrDefault("metadata", Map.of());
    Object annotations = meta.get("annotations");
    if (annotations instanceof Map<?, ?> a && a.get(LAST_APPLIED) instanceof String recorded) {
      try {
        return JSON.readValue(recorded, Map.class);
      } catch (JsonProcessingException e) {
        return Map.of(); // a damaged record: behave as on first apply
      }
    }
    return Map.of();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> withAnnotation(Map<String, Object> object, String key, String value) {
    Map<String, Object> result = new LinkedHashMap<>(object);
    Map<String, Object> meta = new LinkedHashMap<>((Map<String, Object>) object.get("metadata"));
    Map<String, Object> annotations = new LinkedHashMap<>((Map<String, Object>) meta.getOrDefault("annotations", Map.of()));
    annotations.put(key, value);
    meta.put("annotations", annotations);
    result.put("metadata", meta);
    return result;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> toMap(Object value) {
    return JSON.convertValue(value, Map.class);
  }

  static String toJson(Map<String, Object> object) {
    try {
      return JSON.writeValueAsString(object);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write an object as JSON", e);
    }
  }

  /** The apiserver's discovery does not list the object's kind. */
  static final class UnknownKindException extends KubernetesClientException {
    UnknownKindException(ObjectRef ref) {
      super("kind \"" + ref.kind() + "\" (apiVersion \"" + ref.apiVersion()
          + "\") is not served by this cluster's apiserver; is its CRD installed?", 404, null);
    }
  }
}
