package io.outpost.hub.delivery;

import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Requires;
import io.outpost.cache.store.DurableStore;
import io.outpost.hub.config.HubSettings;
import io.outpost.hub.registry.ClusterRegistry;
import jakarta.inject.Singleton;
import java.time.Clock;

/** Wires GitOps delivery: Git mirrors under the data dir → rollout engine → sources and their poller. */
@Factory
@Requires(beans = HubSettings.class)
public class DeliveryFactory {

  @Singleton
  GitRepos gitRepos(HubSettings hub, DeliverySettings settings) {
    return new GitRepos(hub.getDataDir().resolve("git"), settings.getFetchTimeout());
  }

  @Singleton
  @Bean(preDestroy = "close")
  RolloutEngine rolloutEngine(ClusterRegistry registry, GitRepos repos, DurableStore store, Clock clock,
      DeliverySettings settings) {
    return new RolloutEngine(registry, repos, store, clock).start(settings.getTickInterval());
  }

  @Singleton
  @Bean(preDestroy = "close")
  Sources sources(GitRepos repos, RolloutEngine engine, DurableStore store, Clock clock, DeliverySettings settings) {
    return new Sources(repos, engine, store, settings.getPollInterval(), clock).start();
  }
}
