package io.outpost.hub.gateway;

import io.micronaut.context.annotation.Requires;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.RequestFilter;
import io.micronaut.http.annotation.ServerFilter;
import io.outpost.tunnel.server.TunnelServer;

/**
 * The gateway does not tunnel protocol upgrades (WebSocket, SPDY: exec, attach, port-forward, and
 * WebSocket watches) yet. It says so with 503, the answer client libraries such as fabric8 take
 * as "fall back to an HTTP watch", instead of the 404 of a missing WebSocket route.
 */
@ServerFilter("/clusters/**")
@Requires(beans = TunnelServer.class)
public class UpgradeRefusalFilter {

  @RequestFilter
  @Nullable
  HttpResponse<?> refuseUpgrade(HttpRequest<?> request) {
    String upgrade = request.getHeaders().get(HttpHeaders.UPGRADE);
    if (upgrade == null) {
      return null;
    }
    return KubeStatus.response(503, "the Outpost gateway does not support '" + upgrade + "' upgrades yet"
        + " (exec, attach, port-forward); watches work over plain HTTP streaming");
  }
}
