package io.outpost.agent;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Requires;
import io.outpost.agent.config.AgentSettings;
import io.outpost.agent.identity.AgentIdentityFiles;
import io.outpost.agent.identity.CertificateRenewer;
import io.outpost.agent.proxy.ApiserverProxy;
import io.outpost.agent.proxy.ClusterSummaries;
import io.outpost.tunnel.client.Backoff;
import io.outpost.tunnel.client.TunnelClient;
import jakarta.inject.Singleton;
import java.net.URI;
import java.time.Clock;
import java.util.random.RandomGenerator;

/**
 * Wires the agent: identity from the data dir → client of its own cluster → apiserver proxy and
 * summaries → tunnel client. Only active in a context with agent settings.
 */
@Factory
@Requires(beans = AgentSettings.class)
public class AgentFactory {

  @Singleton
  AgentIdentityFiles identity(AgentSettings settings) {
    return AgentIdentityFiles.load(settings.getDataDir());
  }

  @Singleton
  @Bean(preDestroy = "close")
  KubernetesClient kubernetes(AgentSettings settings) {
    Config config = settings.getKubeconfig() != null
        ? Config.fromKubeconfig(settings.getKubeconfig().toFile())
        : Config.autoConfigure(null);
    // A proxy must not retry on its own: the user's client decides, and a retried write could
    // be applied twice (or be resent with an already consumed body).
    config.setRequestRetryBackoffLimit(0);
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  @Singleton
  ApiserverProxy apiserverProxy(KubernetesClient kubernetes, AgentIdentityFiles identity) {
    return new ApiserverProxy(URI.create(kubernetes.getConfiguration().getMasterUrl()), kubernetes.getHttpClient(),
        identity.current().clusterName());
  }

  @Singleton
  @Bean(preDestroy = "close")
  ClusterSummaries summaries(KubernetesClient kubernetes, AgentSettings settings) {
    return new ClusterSummaries(kubernetes).start(settings.getSummaryInterval());
  }

  @Singleton
  @Bean(preDestroy = "close")
  CertificateRenewer renewer(AgentIdentityFiles identity, AgentSettings settings) {
    return new CertificateRenewer(identity, Clock.systemUTC()).start(settings.getRenewCheckInterval());
  }

  @Singleton
  ComponentStatuses components() {
    return new ComponentStatuses();
  }

  @Singleton
  @Bean(preDestroy = "close")
  TunnelClient tunnel(AgentSettings settings, AgentIdentityFiles identity, ApiserverProxy proxy,
      ClusterSummaries summaries, ComponentStatuses components) {
    AgentIdentityFiles.Identity id = identity.current();
    TunnelClient.Settings tunnel = new TunnelClient.Settings(id.hubHost(), id.hubPort(), settings.tunnelLimits(),
        new Backoff(settings.getBackoffBase(), settings.getBackoffCap(), RandomGenerator.getDefault()),
        Versions.AGENT);
    return new TunnelClient(tunnel, () -> identity.current().credentials(), proxy,
        () -> summaries.latest().toBuilder().putAllComponents(components.snapshot()).build());
  }
}
