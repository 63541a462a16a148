package io.outpost.agent.cli;

import io.fabric8.kubernetes.api.model.AuthInfo;
import io.fabric8.kubernetes.api.model.AuthProviderConfig;
import io.fabric8.kubernetes.api.model.Cluster;
import io.fabric8.kubernetes.api.model.Context;
import io.fabric8.kubernetes.api.model.ExecConfig;
import io.fabric8.kubernetes.api.model.ExecEnvVar;
import io.fabric8.kubernetes.api.model.NamedAuthInfo;
import io.fabric8.kubernetes.api.model.NamedCluster;
import io.fabric8.kubernetes.api.model.NamedContext;
import io.fabric8.kubernetes.api.model.NamedExtension;
import io.fabric8.kubernetes.api.model.Preferences;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.internal.KubeConfigUtils;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.composer.Composer;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.StreamReader;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Reads a kubeconfig into fabric8's client {@link Config} the way {@link Config#fromKubeconfig(File)}
 * does, without fabric8's {@code Serialization}: that one builds its polymorphic
 * {@code KubernetesDeserializer} registry on first use and so loads ~620 model classes (every
 * Kubernetes kind) that the node proxy never touches: about 5 MiB of class metadata in every
 * node's resident set (BENCHMARKS.md §4, fourth session). Nor with Jackson's data binding, which
 * would load ~400 databind classes (~3 MiB, fifth session) that the proxy has no other use for. Only
 * the parsing is ours: a safe snakeyaml read (plain maps and lists) copied field by field into
 * fabric8's own kubeconfig model, then fabric8's {@link KubeConfigUtils#merge} picks the context and
 * resolves clusters, credentials, exec plugins and certificate files as usual.
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
    String yaml;
    try {
      yaml = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("--kubeconfig " + file + ": no such file (expected the kubeconfig of the"
          + " upstream apiserver)");
    } catch (IOException e) {
      throw new IllegalArgumentException("--kubeconfig " + file + ": cannot read it (" + e + ")");
    }
    if (yaml.isBlank()) {
      throw new IllegalArgumentException("--kubeconfig " + file + ": the file is empty (expected a kubeconfig)");
    }
    io.fabric8.kubernetes.api.model.Config kubeconfig;
    try {
      // snakeyaml's loading half only (what Yaml.load does), without its Yaml facade, which also
      // builds the dumping half: ~60 classes no node needs.
      LoaderOptions options = new LoaderOptions();
      SafeConstructor constructor = new SafeConstructor(options);
      constructor.setComposer(new Composer(new ParserImpl(new StreamReader(yaml),
          options), new ScalarsAsText(), options));
      Object root = constructor.getSingleData(Object.class);
      kubeconfig = Model.config(Model.object(root, "the top level"));
    } catch (YAMLException | IllegalArgumentException e) {
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
   * Plain scalars stay text, as the kubeconfig's Go types read them (a token {@code 0x1F} or a
   * namespace {@code 2024} is that text, not a number), except an empty value or {@code ~}, which
   * is no value.
   */
  private static final class ScalarsAsText extends Resolver {
    @Override
    protected void addImplicitResolvers() {
      addImplicitResolver(Tag.NULL, NULL, "~nN\0");
      addImplicitResolver(Tag.NULL, EMPTY, null);
    }
  }

  /**
   * The kubeconfig's YAML (maps, lists, scalars) copied into fabric8's model, key by key as kubectl
   * names them; unknown keys are ignored, as kubectl ignores them. A value of the wrong shape is an
   * {@link IllegalArgumentException} naming where it is and what was expected.
   */
  private static final class Model {

    private Model() {}

    static io.fabric8.kubernetes.api.model.Config config(Map<?, ?> yaml) {
      if (yaml == null) {
        throw new IllegalArgumentException("the top level: expected a mapping, found nothing");
      }
      io.fabric8.kubernetes.api.model.Config config = new io.fabric8.kubernetes.api.model.Config();
      config.setApiVersion(string(yaml, "apiVersion", ""));
      config.setKind(string(yaml, "kind", ""));
      config.setCurrentContext(string(yaml, "current-context", ""));
      config.setClusters(list(yaml, "clusters", "", (entry, at) -> {
        NamedCluster named = new NamedCluster();
        named.setName(string(entry, "name", at));
        Map<?, ?> cluster = object(entry.get("cluster"), at + "cluster");
        if (cluster != null) {
          Cluster c = new Cluster();
          String in = at + "cluster.";
          c.setServer(string(cluster, "server", in));
          c.setCertificateAuthority(string(cluster, "certificate-authority", in));
          c.setCertificateAuthorityData(string(cluster, "certificate-authority-data", in));
          c.setInsecureSkipTlsVerify(bool(cluster, "insecure-skip-tls-verify", in));
          c.setTlsServerName(string(cluster, "tls-server-name", in));
          c.setProxyUrl(string(cluster, "proxy-url", in));
          c.setDisableCompression(bool(cluster, "disable-compression", in));
          c.setExtensions(extensions(cluster, in));
          named.setCluster(c);
        }
        return named;
      }));
      config.setUsers(list(yaml, "users", "", (entry, at) -> {
        NamedAuthInfo named = new NamedAuthInfo();
        named.setName(string(entry, "name", at));
        Map<?, ?> user = object(entry.get("user"), at + "user");
        if (user != null) {
          named.setUser(authInfo(user, at + "user."));
        }
        return named;
      }));
      config.setContexts(list(yaml, "contexts", "", (entry, at) -> {
        NamedContext named = new NamedContext();
        named.setName(string(entry, "name", at));
        Map<?, ?> context = object(entry.get("context"), at + "context");
        if (context != null) {
          Context c = new Context();
          String in = at + "context.";
          c.setCluster(string(context, "cluster", in));
          c.setUser(string(context, "user", in));
          c.setNamespace(string(context, "namespace", in));
          c.setExtensions(extensions(context, in));
          named.setContext(c);
        }
        return named;
      }));
      Map<?, ?> preferences = object(yaml.get("preferences"), "preferences");
      if (preferences != null) {
        Preferences p = new Preferences();
        p.setColors(bool(preferences, "colors", "preferences."));
        p.setExtensions(extensions(preferences, "preferences."));
        config.setPreferences(p);
      }
      config.setExtensions(extensions(yaml, ""));
      return config;
    }

    private static AuthInfo authInfo(Map<?, ?> user, String in) {
      AuthInfo a = new AuthInfo();
      a.setClientCertificate(string(user, "client-certificate", in));
      a.setClientCertificateData(string(user, "client-certificate-data", in));
      a.setClientKey(string(user, "client-key", in));
      a.setClientKeyData(string(user, "client-key-data", in));
      a.setToken(string(user, "token", in));
      a.setTokenFile(string(user, "tokenFile", in));
      a.setUsername(string(user, "username", in));
      a.setPassword(string(user, "password", in));
      a.setAs(string(user, "as", in));
      a.setAsUid(string(user, "as-uid", in));
      a.setAsGroups(strings(user.get("as-groups"), in + "as-groups"));
      Map<?, ?> extra = object(user.get("as-user-extra"), in + "as-user-extra");
      if (extra != null) {
        Map<String, List<String>> asUserExtra = new LinkedHashMap<>();
        extra.forEach((key, values) -> asUserExtra.put(String.valueOf(key),
            strings(values, in + "as-user-extra." + key)));
        a.setAsUserExtra(asUserExtra);
      }
      Map<?, ?> provider = object(user.get("auth-provider"), in + "auth-provider");
      if (provider != null) {
        AuthProviderConfig p = new AuthProviderConfig();
        p.setName(string(provider, "name", in + "auth-provider."));
        Map<?, ?> settings = object(provider.get("config"), in + "auth-provider.config");
        if (settings != null) {
          Map<String, String> copy = new LinkedHashMap<>();
          settings.forEach((key, value) -> copy.put(String.valueOf(key), value == null ? null : String.valueOf(value)));
          p.setConfig(copy);
        }
        a.setAuthProvider(p);
      }
      Map<?, ?> exec = object(user.get("exec"), in + "exec");
      if (exec != null) {
        String at = in + "exec.";
        ExecConfig e = new ExecConfig();
        e.setApiVersion(string(exec, "apiVersion", at));
        e.setCommand(string(exec, "command", at));
        e.setArgs(strings(exec.get("args"), at + "args"));
        e.setEnv(list(exec, "env", at, (entry, where) -> {
          ExecEnvVar variable = new ExecEnvVar();
          variable.setName(string(entry, "name", where));
          variable.setValue(string(entry, "value", where));
          return variable;
        }));
        e.setInstallHint(string(exec, "installHint", at));
        e.setInteractiveMode(string(exec, "interactiveMode", at));
        e.setProvideClusterInfo(bool(exec, "provideClusterInfo", at));
        a.setExec(e);
      }
      a.setExtensions(extensions(user, in));
      return a;
    }

    /** Extensions are kept as plain maps and lists: nothing in the connection settings reads them. */
    private static List<NamedExtension> extensions(Map<?, ?> owner, String in) {
      return list(owner, "extensions", in, (entry, at) -> {
        NamedExtension extension = new NamedExtension();
        extension.setName(string(entry, "name", at));
        extension.setExtension(entry.get("extension"));
        return extension;
      });
    }

    static Map<?, ?> object(Object value, String at) {
      if (value == null || value instanceof Map<?, ?>) {
        return (Map<?, ?>) value;
      }
      throw new IllegalArgumentException(at + ": expected a mapping, found " + shape(value));
    }

    private static <T> List<T> list(Map<?, ?> owner, String key, String in,
                                    java.util.function.BiFunction<Map<?, ?>, String, T> entry) {
      Object value = owner.get(key);
      if (value == null) {
        return new ArrayList<>(); // what fabric8's model holds for an absent list
      }
      if (!(value instanceof List<?> items)) {
        throw new IllegalArgumentException(in + key + ": expected a list, found " + shape(value));
      }
      List<T> out = new ArrayList<>(items.size());
      for (int i = 0; i < items.size(); i++) {
        String at = in + key + "[" + i + "]";
        Map<?, ?> item = object(items.get(i), at);
        if (item == null) {
          throw new IllegalArgumentException(at + ": expected a mapping, found nothing");
        }
        out.add(entry.apply(item, at + "."));
      }
      return out;
    }

    private static String string(Map<?, ?> owner, String key, String in) {
      Object value = owner.get(key);
      if (value == null || value instanceof String) {
        return (String) value;
      }
      throw new IllegalArgumentException(in + key + ": expected a string, found " + shape(value));
    }

    private static Boolean bool(Map<?, ?> owner, String key, String in) {
      Object value = owner.get(key);
      if (value == null) {
        return null;
      }
      if (value instanceof String text && (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false"))) {
        return Boolean.valueOf(text);
      }
      throw new IllegalArgumentException(in + key + ": expected true or false, found " + shape(value));
    }

    private static List<String> strings(Object value, String at) {
      if (value == null) {
        return new ArrayList<>();
      }
      if (!(value instanceof List<?> items)) {
        throw new IllegalArgumentException(at + ": expected a list of strings, found " + shape(value));
      }
      List<String> out = new ArrayList<>(items.size());
      items.forEach(item -> out.add(item == null ? null : String.valueOf(item)));
      return out;
    }

    private static String shape(Object value) {
      return value instanceof Map<?, ?> ? "a mapping" : value instanceof List<?> ? "a list" : "'" + value + "'";
    }
  }

  private static <T> void tag(List<T> entries, Function<T, Map<String, Object>> properties, String key, File file) {
    if (entries != null) {
      entries.forEach(entry -> properties.apply(entry).put(key, file));
    }
  }
}
