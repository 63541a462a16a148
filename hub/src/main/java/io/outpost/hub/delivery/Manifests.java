package io.outpost.hub.delivery;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Parses multi-document YAML (and JSON) manifests; a syntax error names the file and the line. */
final class Manifests {

  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  static final ObjectMapper JSON = new ObjectMapper();

  /** A Kubernetes object from a file, with where it came from for messages. */
  record Manifest(String file, int document, Map<String, Object> object) {

    String where() {
      return file + " document " + document;
    }

    String kind() {
      return (String) object.get("kind");
    }

    @SuppressWarnings("unchecked")
    String name() {
      return (String) ((Map<String, Object>) object.get("metadata")).get("name");
    }

    @SuppressWarnings("unchecked")
    String namespace() {
      Object ns = ((Map<String, Object>) object.get("metadata")).get("namespace");
      return ns instanceof String s ? s : null;
    }
  }

  private Manifests() {}

  /** Every non-empty document of the file. */
  static List<Object> parseYaml(String file, byte[] content) throws DeliveryException {
    List<Object> docs = new ArrayList<>();
    try (MappingIterator<Object> it = YAML.readerFor(Object.class).readValues(content)) {
      while (it.hasNextValue()) {
        Object doc = it.nextValue();
        if (doc != null) {
          docs.add(doc);
        }
      }
    } catch (JsonProcessingException e) {
      throw new DeliveryException(file + ": invalid YAML at line " + e.getLocation().getLineNr() + ": "
          + e.getOriginalMessage().lines().findFirst().orElse(""));
    } catch (IOException | RuntimeException e) {
      throw new DeliveryException(file + ": invalid YAML: " + e.getMessage());
    }
    return docs;
  }

  /** The Kubernetes objects in a file; each must have apiVersion, kind and metadata.name. */
  @SuppressWarnings("unchecked")
  static List<Manifest> parseObjects(String file, byte[] content) throws DeliveryException {
    List<Manifest> result = new ArrayList<>();
    List<Object> docs = parseYaml(file, content);
    for (int i = 0; i < docs.size(); i++) {
      String where = file + " document " + (i + 1);
      if (!(docs.get(i) instanceof Map<?, ?> doc)) {
        throw new DeliveryException(where + ": expected a Kubernetes object (a mapping with apiVersion, kind,"
            + " metadata), found " + docs.get(i).getClass().getSimpleName());
      }
      Map<String, Object> object = (Map<String, Object>) doc;
      for (String field : List.of("apiVersion", "kind")) {
        if (!(object.get(field) instanceof String s) || s.isBlank()) {
          throw new DeliveryException(where + ": missing \"" + field + "\"");
        }
      }
      if (!(object.get("metadata") instanceof Map<?, ?> meta) || !(meta.get("name") instanceof String name)
          || name.isBlank()) {
        throw new DeliveryException(where + ": missing \"metadata.name\"");
      }
      result.add(new Manifest(file, i + 1, object));
    }
    return result;
  }

  /** A deep copy through JSON, so rendering one cluster never changes the loaded base. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> copy(Map<String, Object> object) {
    return (Map<String, Object>) JSON.convertValue(object, Map.class);
  }

  static String toJson(Map<String, Object> object) {
    try {
      return JSON.writeValueAsString(object);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a parsed manifest could not be written as JSON", e);
    }
  }
}
