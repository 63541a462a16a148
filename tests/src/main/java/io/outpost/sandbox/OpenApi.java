package io.outpost.sandbox;

import io.fabric8.kubernetes.client.utils.Serialization;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Just enough OpenAPI v3 for kubectl to create objects.
 *
 * <p>kubectl validates manifests before sending them ({@code --validate=strict} is the default).
 * It first asks OpenAPI v3 whether the server validates fields itself, i.e. whether the PATCH
 * operation of the object's kind takes a {@code fieldValidation} query parameter. If so it leaves
 * validation to the server; if not, it downloads the full schemas and validates locally, and when
 * {@code /openapi/v2} and {@code /openapi/v3} are missing it refuses with "failed to download
 * openapi". These documents therefore describe one PATCH operation per kind and no schemas: the
 * mock accepts any well-formed object, so "server-side validation" is a stretch, but it lets
 * {@code kubectl apply -f} and {@code kubectl create -f} work.
 *
 * <p>The PATCH operations list only JSON patch and JSON merge patch bodies, which is what the mock
 * supports; kubectl still sends strategic-merge patches for built-in kinds (it knows those types
 * itself), which the mock rejects with 415.
 */
final class OpenApi {

  private static final String PREFIX = "/openapi/v3/";

  private final Map<String, String> documents;
  private final String root;

  OpenApi() {
    Map<String, List<Discovery.Resource>> byGroupVersion = Discovery.RESOURCES.stream()
        .filter(r -> !r.name().contains("/"))
        .collect(Collectors.groupingBy(OpenApi::documentPath, LinkedHashMap::new, Collectors.toList()));
    documents = new LinkedHashMap<>();
    Map<String, Object> paths = new LinkedHashMap<>();
    byGroupVersion.forEach((path, resources) -> {
      String document = Serialization.asJson(document(resources));
      documents.put(path, document);
      // The hash makes clients' caches notice when a newer sandbox serves different documents.
      paths.put(path, Map.of("serverRelativeURL", PREFIX + path + "?hash=" + sha256(document)));
    });
    root = Serialization.asJson(Map.of("paths", paths));
  }

  /** {@code /openapi/v3}: where each group version's document lives. */
  String root() {
    return root;
  }

  /** {@code /openapi/v3/api/v1}, {@code /openapi/v3/apis/apps/v1}, ...; empty for other paths. */
  Optional<String> document(String requestPath) {
    if (!requestPath.startsWith(PREFIX)) {
      return Optional.empty();
    }
    return Optional.ofNullable(documents.get(requestPath.substring(PREFIX.length())));
  }

  private static String documentPath(Discovery.Resource resource) {
    return resource.group().isEmpty() ? "api/" + resource.version() : "apis/" + resource.groupVersion();
  }

  private static Map<String, Object> document(List<Discovery.Resource> resources) {
    Map<String, Object> paths = new LinkedHashMap<>();
    for (Discovery.Resource resource : resources) {
      String path = "/" + documentPath(resource)
          + (resource.namespaced() ? "/namespaces/{namespace}/" : "/") + resource.name() + "/{name}";
      paths.put(path, Map.of("patch", patchOperation(resource)));
    }
    Map<String, Object> document = new LinkedHashMap<>();
    document.put("openapi", "3.0.0");
    document.put("info", Map.of("title", "Kubernetes (Outpost sandbox)", "version", Discovery.GIT_VERSION));
    document.put("paths", paths);
    document.put("components", Map.of("schemas", Map.of()));
    return document;
  }

  private static Map<String, Object> patchOperation(Discovery.Resource resource) {
    Map<String, Object> anyObject = Map.of("schema", Map.of("type", "object"));
    Map<String, Object> operation = new LinkedHashMap<>();
    operation.put("operationId", "patch" + resource.kind());
    operation.put("parameters", List.of(
        queryParameter("fieldValidation"), queryParameter("fieldManager"), queryParameter("dryRun")));
    operation.put("requestBody", Map.of("content", Map.of(
        "application/json-patch+json", anyObject,
        "application/merge-patch+json", anyObject)));
    operation.put("responses", Map.of("200", Map.of("description", "OK")));
    operation.put("x-kubernetes-action", "patch");
    operation.put("x-kubernetes-group-version-kind",
        Map.of("group", resource.group(), "version", resource.version(), "kind", resource.kind()));
    return operation;
  }

  private static Map<String, Object> queryParameter(String name) {
    return Map.of("name", name, "in", "query", "schema", Map.of("type", "string"));
  }

  private static String sha256(String text) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest).toUpperCase(Locale.ROOT);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
