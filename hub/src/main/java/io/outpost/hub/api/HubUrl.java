package io.outpost.hub.api;

import io.micronaut.context.annotation.Requires;
import io.micronaut.runtime.server.EmbeddedServer;
import io.outpost.hub.config.HubSettings;
import jakarta.inject.Provider;
import jakarta.inject.Singleton;

/** The URL users reach the hub's HTTPS API by: the first advertised host and the bound port. */
@Singleton
@Requires(beans = HubSettings.class)
public class HubUrl {

  private final HubSettings settings;
  private final Provider<EmbeddedServer> server;

  public HubUrl(HubSettings settings, Provider<EmbeddedServer> server) {
    this.settings = settings;
    this.server = server;
  }

  public String get() {
    String host = settings.getAdvertiseHosts().get(0);
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return "https://" + host + ":" + server.get().getPort();
  }
}
