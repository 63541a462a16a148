import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.FileInputStream;
import java.lang.reflect.Method;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decodes Kubernetes manifests into fabric8's typed model (kubernetes-model 7.8, the one the agent
 * ships) and reports every field name the model does not know, e.g. a misspelt
 * "readOnlyRootFilesystm" that would otherwise only be caught by an apiserver's strict field
 * validation. Not part of the Maven build; run by validate.sh as a single-file program:
 *   java -cp "JARS" deploy/kubernetes/validate/StrictFields.java FILE.yaml...
 */
public class StrictFields {

  private static int unknown = 0;

  public static void main(String[] args) throws Exception {
    for (String file : args) {
      Object parsed;
      try (FileInputStream in = new FileInputStream(file)) {
        @SuppressWarnings("deprecation")
        Object o = Serialization.unmarshal(in);
        parsed = o;
      } catch (RuntimeException e) {
        String message = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
        System.out.println(file + ": cannot be decoded: " + message);
        unknown++;
        continue;
      }
      List<?> items = parsed instanceof List<?> list ? list : List.of(parsed);
      for (Object item : items) {
        HasMetadata object = (HasMetadata) item;
        String name = object.getKind() + "/" + object.getMetadata().getName();
        int before = unknown;
        walk(item, name, Collections.newSetFromMap(new IdentityHashMap<>()));
        System.out.println(file + ": " + name + (unknown == before ? ": no unknown fields" : ": HAS UNKNOWN FIELDS"));
      }
    }
    System.exit(unknown == 0 ? 0 : 1);
  }

  private static void walk(Object o, String path, Set<Object> seen) throws Exception {
    if (o == null || !seen.add(o)) {
      return;
    }
    if (o instanceof Collection<?> c) {
      int i = 0;
      for (Object e : c) {
        walk(e, path + "[" + i++ + "]", seen);
      }
      return;
    }
    if (o instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        walk(e.getValue(), path + "." + e.getKey(), seen);
      }
      return;
    }
    if (!o.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
      return;
    }
    for (Method getter : o.getClass().getMethods()) {
      if (getter.getParameterCount() != 0 || !getter.getName().startsWith("get")
          || getter.getDeclaringClass() == Object.class) {
        continue;
      }
      Object value = getter.invoke(o);
      if (getter.getName().equals("getAdditionalProperties")) {
        for (Object key : ((Map<?, ?>) value).keySet()) {
          System.out.println("  unknown field: " + path + "." + key);
          unknown++;
        }
      } else {
        String field = getter.getName().substring(3);
        walk(value, path + "." + Character.toLowerCase(field.charAt(0)) + field.substring(1), seen);
      }
    }
  }
}
