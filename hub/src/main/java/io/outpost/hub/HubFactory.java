package io.outpost.hub;

import io.grpc.BindableService;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Requires;
import io.micronaut.json.JsonMapper;
import io.outpost.cache.store.DurableStore;
import io.outpost.hub.auth.BootstrapTokens;
import io.outpost.hub.auth.UserTokens;
import io.outpost.hub.config.HubSettings;
import io.outpost.hub.join.HubPki;
import io.outpost.hub.join.JoinService;
import io.outpost.hub.registry.ClusterRegistry;
import io.outpost.tunnel.server.TunnelServer;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Clock;
import java.util.List;

/**
 * Wires the hub from its settings, in the order of the design: store → registry and tokens →
 * join policy → tunnel server. The PKI is made before the context starts (the HTTPS server needs
 * its key store) and handed in as a singleton. Only active in a context that has hub settings,
 * so an agent sharing the classpath (the end-to-end tests, the demo) never builds these.
 */
@Factory
@Requires(beans = HubSettings.class)
public class HubFactory {

  @Singleton
  Clock clock() {
    return Clock.systemUTC();
  }

  @Singleton
  @Bean(preDestroy = "close")
  DurableStore store(HubSettings settings) {
    try {
      Files.createDirectories(settings.getDataDir());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the hub data dir " + settings.getDataDir() + ": " + e.getMessage(), e);
    }
    return DurableStore.open(settings.getDataDir().resolve("hub.db"));
  }

  @Singleton
  @Bean(preDestroy = "flush")
  ClusterRegistry registry(DurableStore store, JsonMapper json, Clock clock) {
    return new ClusterRegistry(store, json, clock);
  }

  @Singleton
  BootstrapTokens bootstrapTokens(DurableStore store, JsonMapper json, Clock clock) {
    return new BootstrapTokens(store, json, clock);
  }

  @Singleton
  UserTokens userTokens(DurableStore store) {
    return new UserTokens(store);
  }

  @Singleton
  JoinService joinService(HubPki pki, BootstrapTokens tokens, ClusterRegistry registry, DurableStore store,
      HubSettings settings) {
    return new JoinService(pki, tokens, registry, store, settings.getClientCertValidity());
  }

  @Singleton
  @Bean(preDestroy = "close")
  TunnelServer tunnelServer(HubSettings settings, HubPki pki, JoinService join, ClusterRegistry registry,
      List<BindableService> features, Clock clock) {
    TunnelServer.Settings tunnel = new TunnelServer.Settings(settings.getTunnelBindHost(), settings.getTunnelPort(),
        settings.tunnelLimits(), settings.getHeartbeatInterval(), Versions.HUB);
    // Feature services (devices, delivery) are beans implementing BindableService; agents reach
    // them over the same mTLS connection as the tunnel.
    return new TunnelServer(tunnel, pki.tunnelCredentials(), join, registry, features, clock).start();
  }
}
