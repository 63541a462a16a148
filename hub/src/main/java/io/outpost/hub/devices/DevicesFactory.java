package io.outpost.hub.devices;

import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Requires;
import io.micronaut.json.JsonMapper;
import io.outpost.cache.store.DurableStore;
import io.outpost.hub.config.HubSettings;
import io.outpost.hub.registry.ClusterRegistry;
import jakarta.inject.Singleton;

/** Wires the hub's devices: registry in the hub store, and the devices service on the tunnel server. */
@Factory
@Requires(beans = HubSettings.class)
public class DevicesFactory {

  @Singleton
  DeviceRegistry deviceRegistry(DurableStore store, JsonMapper json, HubDevicesSettings settings,
      ClusterRegistry clusters) {
    DeviceRegistry devices = new DeviceRegistry(store, json, settings.getKeepMessages());
    clusters.onDelete(devices::forgetCluster);
    return devices;
  }

  /** A {@link io.grpc.BindableService} bean: the tunnel server serves it to admitted agents. */
  @Singleton
  DevicesService devicesService(DeviceRegistry registry) {
    return new DevicesService(registry);
  }
}
