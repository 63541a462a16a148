package io.outpost.hub;

import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import io.outpost.hub.api.HubUrl;
import io.outpost.hub.auth.BootstrapTokens;
import io.outpost.hub.auth.UserTokens;
import io.outpost.hub.config.HubSettings;
import io.outpost.hub.devices.DeviceRegistry;
import io.outpost.hub.join.HubPki;
import io.outpost.hub.registry.ClusterRegistry;
import io.outpost.tunnel.server.TunnelServer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A running hub: the Micronaut context with its HTTPS API and gateway, and the tunnel listener.
 * Startup reads as the design: settings → PKI → context (store, registry, join policy, tunnel)
 * → HTTPS server → admin token.
 *
 * <pre>{@code
 * try (Hub hub = Hub.builder().dataDir(dir).httpsPort(0).tunnelPort(0).start()) {
 *   String token = hub.tokens().create(Duration.ofHours(1), "edge-01").token();
 *   System.out.println(hub.joinCommand(token, "edge-01"));
 * }
 * }</pre>
 */
public final class Hub implements AutoCloseable {

  public static final int DEFAULT_HTTPS_PORT = 8443;

  private final ApplicationContext context;
  private final EmbeddedServer server;
  private final HubPki pki;
  private final String firstAdminToken;

  private Hub(ApplicationContext context, EmbeddedServer server, HubPki pki, String firstAdminToken) {
    this.context = context;
    this.server = server;
    this.pki = pki;
    this.firstAdminToken = firstAdminToken;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The HTTPS base URL, e.g. {@code https://localhost:8443}. */
  public String url() {
    return context.getBean(HubUrl.class).get();
  }

  public int httpsPort() {
    return server.getPort();
  }

  public int tunnelPort() {
    return context.getBean(TunnelServer.class).port();
  }

  /** The CA pin agents pass as {@code --ca-hash}. */
  public String caPin() {
    return pki.caPin();
  }

  public HubPki pki() {
    return pki;
  }

  /** The admin token, present only on the start that created it (it is stored hashed). */
  public Optional<String> firstAdminToken() {
    return Optional.ofNullable(firstAdminToken);
  }

  public BootstrapTokens tokens() {
    return context.getBean(BootstrapTokens.class);
  }

  public UserTokens users() {
    return context.getBean(UserTokens.class);
  }

  public ClusterRegistry registry() {
    return context.getBean(ClusterRegistry.class);
  }

  public DeviceRegistry devices() {
    return context.getBean(DeviceRegistry.class);
  }

  public TunnelServer tunnel() {
    return context.getBean(TunnelServer.class);
  }

  public String advertisedHost() {
    return context.getBean(HubSettings.class).getAdvertiseHosts().get(0);
  }

  public String joinCommand(String token, String clusterName) {
    return "outpost agent join --hub " + advertisedHost() + ":" + tunnelPort() + " --token " + token
        + " --ca-hash " + caPin() + " --name " + clusterName;
  }

  /** Stops the HTTPS server, the tunnel, and closes the store; idempotent. */
  @Override
  public void close() {
    if (context.isRunning()) {
      context.close();
    }
  }

  /** Collects settings as Micronaut properties; see {@link HubSettings} for each one. */
  public static final class Builder {
    private final Map<String, Object> properties = new LinkedHashMap<>();
    private Path dataDir;
    private int httpsPort = DEFAULT_HTTPS_PORT;
    private List<String> advertiseHosts = List.of("localhost", "127.0.0.1");

    public Builder dataDir(Path dir) {
      this.dataDir = dir;
      return this;
    }

    /** 0 picks a free port. */
    public Builder httpsPort(int port) {
      this.httpsPort = port;
      return this;
    }

    /** 0 picks a free port. */
    public Builder tunnelPort(int port) {
      return property("tunnel-port", port);
    }

    public Builder advertiseHosts(List<String> hosts) {
      if (hosts.isEmpty()) {
        throw new IllegalArgumentException("advertise hosts: [] (expected: at least one host name or address)");
      }
      this.advertiseHosts = List.copyOf(hosts);
      return this;
    }

    public Builder heartbeatInterval(Duration interval) {
      return property("heartbeat-interval", interval);
    }

    /** Any other {@code outpost.hub.*} setting, by its name below the prefix. */
    public Builder property(String name, Object value) {
      properties.put(HubSettings.PREFIX + "." + name, value);
      return this;
    }

    public Hub start() {
      if (dataDir == null) {
        throw new IllegalStateException("the hub needs a data dir (--data-dir)");
      }
      List<String> hosts = new ArrayList<>(advertiseHosts);
      HubPki pki = new HubPki(dataDir, hosts, Clock.systemUTC());
      Map<String, Object> props = new LinkedHashMap<>(properties);
      props.put(HubSettings.PREFIX + ".data-dir", dataDir.toString());
      props.put(HubSettings.PREFIX + ".advertise-hosts", hosts);
      props.put("micronaut.server.ssl.enabled", true);
      props.put("micronaut.server.ssl.port", httpsPort == 0 ? -1 : httpsPort);
      props.put("micronaut.server.ssl.build-self-signed", false);
      props.put("micronaut.server.ssl.key-store.path", "file:" + pki.keystore());
      props.put("micronaut.server.ssl.key-store.password", pki.keystorePassword());
      props.put("micronaut.server.ssl.key-store.type", "PKCS12");
      // Watches and `logs -f` are long-lived and may be silent for minutes.
      props.put("micronaut.server.idle-timeout", "60m");
      props.put("micronaut.server.read-idle-timeout", "60m");
      props.put("micronaut.server.write-idle-timeout", "60m");
      // Bodies up to twice the gateway's limit are read and refused with a Kubernetes Status naming
      // the limit; anything larger is cut off by the server itself before it is buffered.
      Object bodyLimit = props.getOrDefault(HubSettings.PREFIX + ".max-request-body-bytes",
          HubSettings.DEFAULT_MAX_REQUEST_BODY_BYTES);
      props.put("micronaut.server.max-request-size", 2L * Long.parseLong(bodyLimit.toString()));
      props.put("endpoints.health.sensitive", false);
      props.put("endpoints.prometheus.sensitive", false);
      props.put("micronaut.metrics.enabled", true);
      props.put("micronaut.application.name", "outpost-hub");
      ApplicationContext context = ApplicationContext.builder()
          .properties(props)
          .singletons(pki)
          .deduceEnvironment(false)
          .banner(false)
          .start();
      try {
        context.getBean(TunnelServer.class);
        String admin = context.getBean(UserTokens.class).ensureAdmin().orElse(null);
        EmbeddedServer server = context.getBean(EmbeddedServer.class);
        server.start();
        return new Hub(context, server, pki, admin);
      } catch (RuntimeException e) {
        context.close();
        throw e;
      }
    }
  }
}
