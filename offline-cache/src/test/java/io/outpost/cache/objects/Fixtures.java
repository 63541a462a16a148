package io.outpost.cache.objects;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** Small hand-written Kubernetes objects, shaped as the API server sends them. */
final class Fixtures {

    static final String KUBELET = "kubelet";
    static final String KUBE_PROXY = "kube-proxy";
    static final String PODS = "/v1/pods";
    static final String SERVICES = "/v1/services";
    static final String NODES = "/v1/nodes";
    static final String CONFIGMAPS = "/v1/configmaps";

    private Fixtures() {
    }

    /** A pod builder: {@code pod("default", "web-0").on("node-1").labels("app", "web").json()}. */
    static PodJson pod(String namespace, String name) {
        return new PodJson(namespace, name);
    }

    static final class PodJson {
        private final String namespace;
        private final String name;
        private String node = "node-1";
        private String phase = "Running";
        private String resourceVersion = "100";
        private final Map<String, String> labels = new TreeMap<>();

        private PodJson(String namespace, String name) {
            this.namespace = namespace;
            this.name = name;
        }

        PodJson on(String nodeName) {
            this.node = nodeName;
            return this;
        }

        PodJson phase(String podPhase) {
            this.phase = podPhase;
            return this;
        }

        PodJson rv(String version) {
            this.resourceVersion = version;
            return this;
        }

        PodJson labels(String... keysAndValues) {
            for (int i = 0; i < keysAndValues.length; i += 2) {
                labels.put(keysAndValues[i], keysAndValues[i + 1]);
            }
            return this;
        }

        byte[] json() {
            String spec = node == null
                    ? "{\"containers\":[{\"name\":\"app\",\"image\":\"nginx:1.27\"}]}"
                    : "{\"nodeName\":\"" + node + "\",\"containers\":[{\"name\":\"app\",\"image\":\"nginx:1.27\"}]}";
            return bytes("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\""
                    + namespace + "\",\"uid\":\"6f1e-" + name + "\",\"resourceVersion\":\"" + resourceVersion + "\",\"labels\":"
                    + labelsJson(labels) + ",\"annotations\":{\"note\":\"spec.nodeName=elsewhere\"}},\"spec\":" + spec
                    + ",\"status\":{\"phase\":\"" + phase + "\",\"podIP\":\"10.244.1.7\"}}");
        }
    }

    static byte[] service(String namespace, String name, String resourceVersion, String... labelKeysAndValues) {
        Map<String, String> labels = new TreeMap<>();
        for (int i = 0; i < labelKeysAndValues.length; i += 2) {
            labels.put(labelKeysAndValues[i], labelKeysAndValues[i + 1]);
        }
        return bytes("{\"kind\":\"Service\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\""
                + namespace + "\",\"resourceVersion\":\"" + resourceVersion + "\",\"labels\":" + labelsJson(labels)
                + "},\"spec\":{\"type\":\"ClusterIP\",\"clusterIP\":\"10.96.0.10\",\"ports\":[{\"port\":53,\"protocol\":\"UDP\"}]}}");
    }

    static byte[] node(String name, String resourceVersion) {
        return bytes("{\"kind\":\"Node\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"" + name + "\",\"resourceVersion\":\""
                + resourceVersion + "\",\"labels\":{\"kubernetes.io/hostname\":\"" + name + "\"}},\"status\":{\"phase\":\"\"}}");
    }

    /** A config map whose data is {@code size} characters: for budget tests. */
    static byte[] configMap(String namespace, String name, int size) {
        return bytes("{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\""
                + namespace + "\",\"resourceVersion\":\"1\"},\"data\":{\"blob\":\"" + "x".repeat(size) + "\"}}");
    }

    static List<String> names(ListResult result) {
        return ((ListResult.Found) result).items().stream()
                .map(item -> item.namespace().isEmpty() ? item.name() : item.namespace() + "/" + item.name())
                .collect(Collectors.toList());
    }

    static String text(byte[] json) {
        return new String(json, StandardCharsets.UTF_8);
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String labelsJson(Map<String, String> labels) {
        return labels.entrySet().stream()
                .map(e -> "\"" + e.getKey() + "\":\"" + e.getValue() + "\"")
                .collect(Collectors.joining(",", "{", "}"));
    }
}
