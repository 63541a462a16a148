package io.outpost.sandbox;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.utils.Serialization;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An in-memory stand-in for a member cluster's Kubernetes apiserver, for the demo and end-to-end
 * tests; never part of the production agent.
 *
 * <p>It is fabric8's {@code KubernetesMockServer} in CRUD mode behind a small HTTP front on
 * {@code http://127.0.0.1:PORT} (any bearer token accepted; no TLS unless {@link SandboxSpec#https()}
 * asks for a certificate of the sandbox's own CA, which the kubeconfig then carries). The front
 * adds what the mock lacks for real clients: discovery, HTTP (non-WebSocket) watches and pod logs,
 * so both fabric8 and the real {@code kubectl} work against it. On start it is seeded with
 * namespaces, Ready nodes {@code NAME-node-1..N}, Deployments, ReplicaSets, Running pods spread over
 * the nodes, Services and ConfigMaps.
 *
 * <p>Known gaps of the underlying mock: field selectors only match {@code metadata.name} and
 * {@code metadata.namespace}; PATCH accepts JSON patch and JSON merge patch only (no
 * strategic-merge, so re-applying a changed built-in object with {@code kubectl apply} fails, and no
 * server-side apply); exec, attach and port-forward are not available.
 *
 * <pre>{@code
 * try (SandboxCluster sandbox = SandboxCluster.start(SandboxSpec.defaults("edge-1"))) {
 *   sandbox.client().pods().inAnyNamespace().list();
 *   Path kubeconfig = sandbox.writeKubeconfig(dir.resolve("edge-1.kubeconfig"), "edge-1");
 * }
 * }</pre>
 */
public final class SandboxCluster implements AutoCloseable {

  /** Bearer token written into kubeconfigs; the sandbox accepts any token, or none. */
  public static final String TOKEN = "outpost-sandbox-token";

  private final SandboxSpec spec;
  private final MockBackend backend;
  private final ApiFront front;
  private final SandboxTls tls;
  private final KubernetesClient client;
  private final AtomicBoolean closed = new AtomicBoolean();

  private SandboxCluster(SandboxSpec spec, MockBackend backend, ApiFront front, SandboxTls tls,
      KubernetesClient client) {
    this.spec = spec;
    this.backend = backend;
    this.front = front;
    this.tls = tls;
    this.client = client;
  }

  /**
   * Starts a sandbox and seeds it; returns once it is ready for clients.
   *
   * @throws IllegalStateException when the port is taken or seeding fails (nothing is left running)
   */
  public static SandboxCluster start(SandboxSpec spec) {
    Objects.requireNonNull(spec, "spec");
    MockBackend backend = MockBackend.start();
    ApiFront front = null;
    KubernetesClient client = null;
    try {
      SandboxTls tls = spec.https() ? SandboxTls.create(spec.name()) : null;
      front = ApiFront.start(spec.port(), backend, "sandbox-" + spec.name() + "-api", tls);
      client = newClient((tls == null ? "http" : "https") + "://127.0.0.1:" + front.port(), tls);
      SandboxCluster sandbox = new SandboxCluster(spec, backend, front, tls, client);
      new SandboxSeeder(spec, client).seed();
      return sandbox;
    } catch (RuntimeException e) {
      if (client != null) {
        client.close();
      }
      if (front != null) {
        front.close();
      }
      backend.close();
      if (e instanceof IllegalStateException) {
        throw e;
      }
      throw new IllegalStateException("sandbox '" + spec.name() + "' failed to start: " + e.getMessage(), e);
    }
  }

  private static KubernetesClient newClient(String url, SandboxTls tls) {
    Config config = new ConfigBuilder(Config.empty())
        .withMasterUrl(url)
        .withCaCertData(tls == null ? null : tls.caData())
        .withOauthToken(TOKEN)
        .withNamespace("default")
        // The sandbox watches over plain HTTP; skip the WebSocket attempt fabric8 makes first.
        .withOnlyHttpWatches(true)
        // The sandbox speaks HTTP/1.1 only; do not offer h2c upgrades on every request.
        .withHttp2Disable(true)
        .build();
    // Explicit JDK transport: the project excludes fabric8's Vert.x client (fabric8 #7921).
    return new KubernetesClientBuilder()
        .withConfig(config)
        .withHttpClientFactory(new JdkHttpClientFactory())
        .build();
  }

  public SandboxSpec spec() {
    return spec;
  }

  public String name() {
    return spec.name();
  }

  /** Base URL of the apiserver, e.g. {@code http://127.0.0.1:41234} ({@code https://} when serving TLS). */
  public String url() {
    return (tls == null ? "http" : "https") + "://127.0.0.1:" + port();
  }

  /** The CA that signed the sandbox's serving certificate; empty for a plain-HTTP sandbox. */
  public Optional<X509Certificate> caCertificate() {
    return Optional.ofNullable(tls).map(SandboxTls::ca);
  }

  public int port() {
    return front.port();
  }

  /**
   * A fabric8 client for this sandbox (default namespace "default"), owned by the sandbox: do not
   * close it, {@link #close()} does.
   */
  public KubernetesClient client() {
    return client;
  }

  /**
   * Kubeconfig YAML for this sandbox with a single cluster, user and context, which is current.
   * Readable by fabric8 ({@code Config.fromKubeconfig}) and by kubectl.
   */
  public String kubeconfig(String contextName) {
    if (contextName == null || contextName.isBlank()) {
      throw new IllegalArgumentException("contextName must not be blank");
    }
    String cluster = quoted(name());
    String user = quoted(name() + "-admin");
    String context = quoted(contextName);
    String server = "    server: " + quoted(url())
        + (tls == null ? "" : "\n    certificate-authority-data: " + tls.caData());
    return String.join("\n",
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: " + cluster,
        "  cluster:",
        server,
        "users:",
        "- name: " + user,
        "  user:",
        "    token: " + quoted(TOKEN),
        "contexts:",
        "- name: " + context,
        "  context:",
        "    cluster: " + cluster,
        "    user: " + user,
        "    namespace: default",
        "current-context: " + context,
        "");
  }

  /**
   * Writes {@link #kubeconfig(String)} to {@code file}, creating parent directories; the file is
   * readable by its owner only where the file system supports POSIX permissions.
   *
   * @return {@code file}
   */
  public Path writeKubeconfig(Path file, String contextName) {
    String yaml = kubeconfig(contextName);
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.writeString(file, yaml);
      if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      }
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write kubeconfig for sandbox '" + name() + "' to " + file, e);
    }
  }

  /** YAML double-quoted scalars accept JSON string escapes. */
  private static String quoted(String value) {
    return Serialization.asJson(value);
  }

  /** Stops serving, ends open watches and log streams, and drops all objects. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      client.close();
    } finally {
      try {
        front.close();
      } finally {
        backend.close();
      }
    }
  }

  @Override
  public String toString() {
    return "SandboxCluster[" + name() + " at " + (closed.get() ? "(closed)" : url()) + "]";
  }
}
