package io.outpost.agent.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.Annotated;
import com.fasterxml.jackson.databind.introspect.JacksonAnnotationIntrospector;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.NamedAuthInfo;
import io.fabric8.kubernetes.api.model.NamedCluster;
import io.fabric8.kubernetes.api.model.NamedContext;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.internal.KubeConfigUtils;
import io.fabric8.kubernetes.internal.KubernetesDeserializer;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Reads a kubeconfig into fabric8's client {@link Config} the way {@link Config#fromKubeconfig(File)}
 * does, without fabric8's {@code Serialization}: that one builds its polymorphic
 * {@code KubernetesDeserializer} registry on first use and so loads ~620 model classes (every
 * Kubernetes kind) that the node proxy never touches: about 5 MiB of class metadata in every
 * node's resident set (BENCHMARKS.md §4, fourth session). Only the parsing is ours: a plain Jackson
 * YAML read into fabric8's own kubeconfig model, then fabric8's {@link KubeConfigUtils#merge} picks
 * the context and resolves clusters, credentials, exec plugins and certificate files as usual.
 *
 * <pre>{@code
 * Config upstream = LeanKubeconfig.load(Path.of("/etc/outpost/node-proxy.kubeconfig"));
 * }</pre>
 */
final class LeanKubeconfig {

  /**
   * The keys under which {@code KubeConfigUtils.parseConfig} tags each named context, cluster and
   * user with its file, so that relative certificate and token paths resolve against the
   * kubeconfig's directory rather than the working directory ({@code LeanKubeconfigTest} checks
   * that they still do).
   */
  private static final String CONTEXT_FILE_KEY = "KUBERNETES_CONFIG_CONTEXT_FILE_KEY";
  private static final String CLUSTER_FILE_KEY = "KUBERNETES_CONFIG_CLUSTER_FILE_KEY";
  private static final String AUTH_INFO_FILE_KEY = "KUBERNETES_CONFIG_AUTH_INFO_FILE_KEY";

  private LeanKubeconfig() {}

  /** The current context of {@code file}; errors name the file and what is wrong with it. */
  static Config load(Path file) {
    byte[] yaml;
    try {
      yaml = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("--kubeconfig " + file + ": no such file (expected the kubeconfig of the"
          + " upstream apiserver)");
    } catch (IOException e) {
      throw new IllegalArgumentException("--kubeconfig " + file + ": cannot read it (" + e + ")");
    }
    if (new String(yaml, StandardCharsets.UTF_8).isBlank()) {
      throw new IllegalArgumentException("--kubeconfig " + file + ": the file is empty (expected a kubeconfig)");
    }
    io.fabric8.kubernetes.api.model.Config kubeconfig;
    try {
      kubeconfig = new ObjectMapper(new YAMLFactory())
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .setAnnotationIntrospector(new WithoutKindRegistry())
          .readValue(yaml, io.fabric8.kubernetes.api.model.Config.class);
    } catch (IOException e) {
      String why = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
      throw new IllegalArgumentException("--kubeconfig " + file + ": not a kubeconfig (" + why + ")");
    }
    File source = file.toAbsolutePath().toFile();
    tag(kubeconfig.getContexts(), NamedContext::getAdditionalProperties, CONTEXT_FILE_KEY, source);
    tag(kubeconfig.getClusters(), NamedCluster::getAdditionalProperties, CLUSTER_FILE_KEY, source);
    tag(kubeconfig.getUsers(), NamedAuthInfo::getAdditionalProperties, AUTH_INFO_FILE_KEY, source);
    Config config = Config.empty();
    KubeConfigUtils.merge(config, null, kubeconfig);
    if (config.getMasterUrl() == null || config.getCurrentContext() == null) {
      throw new IllegalArgumentException("--kubeconfig " + file + ": no usable current context (expected"
          + " current-context to name a context whose cluster has a server)");
    }
    return config;
  }

  /**
   * Jackson's annotations minus fabric8's {@link KubernetesDeserializer}: a kubeconfig extension's
   * payload ({@code NamedExtension.extension}) is marked for it, and instantiating it builds the
   * registry of every Kubernetes kind that this class exists to avoid; the payload becomes plain
   * maps and lists instead (the connection settings never read it).
   */
  private static final class WithoutKindRegistry extends JacksonAnnotationIntrospector {
    @Override
    public Object findDeserializer(Annotated member) {
      Object deserializer = super.findDeserializer(member);
      return deserializer == KubernetesDeserializer.class ? null : deserializer;
    }
  }

  private static <T> void tag(List<T> entries, Function<T, Map<String, Object>> properties, String key, File file) {
    if (entries != null) {
      entries.forEach(entry -> properties.apply(entry).put(key, file));
    }
  }
}
