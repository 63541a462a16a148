package io.outpost.hub.registry;

import io.micronaut.context.annotation.Requires;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;

/** Commits batched heartbeat details every few seconds. */
@Singleton
@Requires(beans = ClusterRegistry.class)
class RegistryFlusher {

  private final ClusterRegistry registry;

  RegistryFlusher(ClusterRegistry registry) {
    this.registry = registry;
  }

  @Scheduled(fixedDelay = "${outpost.hub.registry-flush-interval:5s}")
  void flush() {
    registry.flush();
  }
}
