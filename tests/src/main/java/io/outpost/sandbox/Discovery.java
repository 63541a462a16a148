package io.outpost.sandbox;

import io.fabric8.kubernetes.api.model.APIGroup;
import io.fabric8.kubernetes.api.model.APIGroupBuilder;
import io.fabric8.kubernetes.api.model.APIGroupListBuilder;
import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceBuilder;
import io.fabric8.kubernetes.api.model.APIResourceListBuilder;
import io.fabric8.kubernetes.api.model.APIVersionsBuilder;
import io.fabric8.kubernetes.api.model.GroupVersionForDiscovery;
import io.fabric8.kubernetes.client.utils.Serialization;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The discovery documents a real apiserver serves ({@code /version}, {@code /api}, {@code /api/v1},
 * {@code /apis}, {@code /apis/GROUP/VERSION}).
 *
 * <p>The CRUD mock stores any resource path it is sent but advertises none, and kubectl refuses to
 * work with a resource type it cannot find in discovery ("the server doesn't have a resource type").
 * The table below is what the sandbox claims to serve; everything in it is handled by the mock's
 * generic CRUD store.
 */
final class Discovery {

  /** Version reported by {@code /version}; matches the kubelet version of the seeded nodes. */
  static final String KUBERNETES_VERSION = "v1.32.4";
  static final String GIT_VERSION = KUBERNETES_VERSION + "-outpost-sandbox";

  private static final List<String> ALL_VERBS =
      List.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");
  private static final List<String> SUBRESOURCE_VERBS = List.of("get", "patch", "update");
  private static final List<String> ALL = List.of("all");

  /** One resource type the sandbox advertises. An empty group means the core ("legacy") group. */
  record Resource(String group, String version, String name, String singular, String kind,
      boolean namespaced, List<String> shortNames, List<String> verbs, List<String> categories) {

    String groupVersion() {
      return group.isEmpty() ? version : group + "/" + version;
    }

    APIResource toApiResource() {
      return new APIResourceBuilder()
          .withName(name)
          .withSingularName(singular)
          .withNamespaced(namespaced)
          .withKind(kind)
          .withVerbs(verbs)
          .withShortNames(shortNames.isEmpty() ? null : shortNames)
          .withCategories(categories.isEmpty() ? null : categories)
          .build();
    }
  }

  private static Resource top(String group, String version, String name, String singular, String kind,
      boolean namespaced, List<String> shortNames, List<String> categories) {
    return new Resource(group, version, name, singular, kind, namespaced, shortNames, ALL_VERBS, categories);
  }

  private static Resource sub(String group, String version, String name, String kind, boolean namespaced,
      List<String> verbs) {
    return new Resource(group, version, name, "", kind, namespaced, List.of(), verbs, List.of());
  }

  /** Order matters: kubectl resolves short names and plain kinds in discovery order. */
  static final List<Resource> RESOURCES = List.of(
      top("", "v1", "namespaces", "namespace", "Namespace", false, List.of("ns"), List.of()),
      top("", "v1", "nodes", "node", "Node", false, List.of("no"), List.of()),
      sub("", "v1", "nodes/status", "Node", false, SUBRESOURCE_VERBS),
      top("", "v1", "pods", "pod", "Pod", true, List.of("po"), ALL),
      sub("", "v1", "pods/log", "Pod", true, List.of("get")),
      sub("", "v1", "pods/status", "Pod", true, SUBRESOURCE_VERBS),
      top("", "v1", "services", "service", "Service", true, List.of("svc"), ALL),
      top("", "v1", "endpoints", "endpoints", "Endpoints", true, List.of("ep"), List.of()),
      top("", "v1", "configmaps", "configmap", "ConfigMap", true, List.of("cm"), List.of()),
      top("", "v1", "secrets", "secret", "Secret", true, List.of(), List.of()),
      top("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", true, List.of("sa"), List.of()),
      top("", "v1", "events", "event", "Event", true, List.of("ev"), List.of()),
      top("", "v1", "persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", true,
          List.of("pvc"), List.of()),
      top("", "v1", "persistentvolumes", "persistentvolume", "PersistentVolume", false, List.of("pv"), List.of()),
      top("apps", "v1", "deployments", "deployment", "Deployment", true, List.of("deploy"), ALL),
      sub("apps", "v1", "deployments/status", "Deployment", true, SUBRESOURCE_VERBS),
      top("apps", "v1", "replicasets", "replicaset", "ReplicaSet", true, List.of("rs"), ALL),
      top("apps", "v1", "daemonsets", "daemonset", "DaemonSet", true, List.of("ds"), ALL),
      top("apps", "v1", "statefulsets", "statefulset", "StatefulSet", true, List.of("sts"), ALL),
      top("batch", "v1", "jobs", "job", "Job", true, List.of(), ALL),
      top("batch", "v1", "cronjobs", "cronjob", "CronJob", true, List.of("cj"), ALL),
      top("coordination.k8s.io", "v1", "leases", "lease", "Lease", true, List.of(), List.of()),
      top("discovery.k8s.io", "v1", "endpointslices", "endpointslice", "EndpointSlice", true, List.of(), List.of()));

  private Discovery() {
  }

  static String versionJson() {
    Map<String, String> version = new LinkedHashMap<>();
    version.put("major", "1");
    version.put("minor", "32");
    version.put("gitVersion", GIT_VERSION);
    version.put("gitCommit", "0000000000000000000000000000000000000000");
    version.put("gitTreeState", "clean");
    version.put("buildDate", "2025-04-22T00:00:00Z");
    version.put("goVersion", "go1.23.8");
    version.put("compiler", "gc");
    version.put("platform", "linux/amd64");
    return Serialization.asJson(version);
  }

  /** {@code /api}: the legacy group's versions and where clients reach the server. */
  static String coreVersionsJson(String serverAddress) {
    return Serialization.asJson(new APIVersionsBuilder()
        .withVersions("v1")
        .addNewServerAddressByClientCIDR()
        .withClientCIDR("0.0.0.0/0")
        .withServerAddress(serverAddress)
        .endServerAddressByClientCIDR()
        .build());
  }

  /** {@code /apis}: every named group with its single (preferred) version. */
  static String groupListJson() {
    List<APIGroup> groups = new ArrayList<>();
    for (String groupVersion : namedGroupVersions()) {
      String[] parts = groupVersion.split("/", 2);
      GroupVersionForDiscovery version = new GroupVersionForDiscovery(groupVersion, parts[1]);
      groups.add(new APIGroupBuilder()
          .withName(parts[0])
          .withVersions(version)
          .withPreferredVersion(version)
          .build());
    }
    return Serialization.asJson(new APIGroupListBuilder().withGroups(groups).build());
  }

  /**
   * {@code /api/v1} or {@code /apis/GROUP/VERSION}: the resources of one group version, or empty
   * when the sandbox does not serve that group version.
   */
  static Optional<String> resourceListJson(String groupVersion) {
    List<APIResource> resources = RESOURCES.stream()
        .filter(r -> r.groupVersion().equals(groupVersion))
        .map(Resource::toApiResource)
        .toList();
    if (resources.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(Serialization.asJson(new APIResourceListBuilder()
        .withGroupVersion(groupVersion)
        .withResources(resources)
        .build()));
  }

  /** Root paths for {@code GET /}, as a real apiserver lists them. */
  static String rootPathsJson() {
    List<String> paths = new ArrayList<>(List.of("/api", "/api/v1", "/apis", "/version"));
    namedGroupVersions().forEach(gv -> {
      paths.add("/apis/" + gv.substring(0, gv.indexOf('/')));
      paths.add("/apis/" + gv);
    });
    return Serialization.asJson(Map.of("paths", paths));
  }

  static Set<String> namedGroupVersions() {
    Set<String> groupVersions = new LinkedHashSet<>();
    RESOURCES.stream().filter(r -> !r.group().isEmpty()).forEach(r -> groupVersions.add(r.groupVersion()));
    return groupVersions;
  }

  /** Looks up a top-level resource by its plural in a group version, e.g. ("", "v1", "pods"). */
  static Optional<Resource> find(String groupVersion, String plural) {
    return RESOURCES.stream()
        .filter(r -> r.groupVersion().equals(groupVersion) && r.name().equals(plural))
        .findFirst();
  }
}
