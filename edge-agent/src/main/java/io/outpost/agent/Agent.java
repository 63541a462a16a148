package io.outpost.agent;

import io.micronaut.context.ApplicationContext;
import io.outpost.agent.config.AgentSettings;
import io.outpost.agent.identity.AgentIdentityFiles;
import io.outpost.agent.identity.CertificateRenewer;
import io.outpost.tunnel.client.TunnelClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A running agent: its identity from the data dir, a client of its own cluster, and the tunnel to
 * the hub. Join first ({@link AgentJoin}); then:
 *
 * <pre>{@code
 * try (Agent agent = Agent.builder().dataDir(dir).kubeconfig(kubeconfig).start()) {
 *   agent.awaitConnected(Duration.ofSeconds(10));
 * }
 * }</pre>
 */
public final class Agent implements AutoCloseable {

  private final ApplicationContext context;

  private Agent(ApplicationContext context) {
    this.context = context;
  }

  public static Builder builder() {
    return new Builder();
  }

  public String clusterName() {
    return context.getBean(AgentIdentityFiles.class).current().clusterName();
  }

  public TunnelClient tunnel() {
    return context.getBean(TunnelClient.class);
  }

  /** The agent's feature of type {@code type} (devices, delivery, ...). */
  public <T extends AgentFeature> T feature(Class<T> type) {
    return context.getBean(type);
  }

  public CertificateRenewer renewer() {
    return context.getBean(CertificateRenewer.class);
  }

  /** Waits until the tunnel is up; false on timeout. */
  public boolean awaitConnected(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    TunnelClient tunnel = tunnel();
    while (tunnel.state() != TunnelClient.State.CONNECTED) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }

  /** Closes the tunnel and the cluster client; idempotent. */
  @Override
  public void close() {
    if (context.isRunning()) {
      context.close();
    }
  }

  /** Collects settings as Micronaut properties; see {@link AgentSettings} for each one. */
  public static final class Builder {
    private final Map<String, Object> properties = new LinkedHashMap<>();

    public Builder dataDir(Path dir) {
      return property("data-dir", dir.toString());
    }

    public Builder kubeconfig(Path kubeconfig) {
      return property("kubeconfig", kubeconfig.toString());
    }

    /** Any other {@code outpost.agent.*} setting, by its name below the prefix. */
    public Builder property(String name, Object value) {
      properties.put(AgentSettings.PREFIX + "." + name, value);
      return this;
    }

    public Agent start() {
      if (!properties.containsKey(AgentSettings.PREFIX + ".data-dir")) {
        throw new IllegalStateException("the agent needs a data dir (--data-dir)");
      }
      ApplicationContext context = ApplicationContext.builder()
          .properties(properties)
          .deduceEnvironment(false)
          .banner(false)
          .start();
      try {
        context.getBean(TunnelClient.class).start();
        context.getBean(CertificateRenewer.class);
        for (AgentFeature feature : context.getBeansOfType(AgentFeature.class)) {
          feature.start();
        }
        return new Agent(context);
      } catch (RuntimeException e) {
        context.close();
        throw e;
      }
    }
  }
}
