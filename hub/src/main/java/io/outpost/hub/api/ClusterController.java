package io.outpost.hub.api;

import io.micronaut.context.annotation.Requires;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Put;
import io.outpost.hub.gateway.KubeStatus;
import io.outpost.hub.registry.ClusterRecord;
import io.outpost.hub.registry.ClusterRegistry;
import io.outpost.tunnel.server.TunnelServer;
import java.util.List;
import java.util.Map;

/** REST API of the cluster registry: list, get, relabel, delete. */
@Controller("/api/v1/clusters")
@ExecuteOn(TaskExecutors.BLOCKING) // store commits (fsync) must not run on the event loop
@Requires(beans = ClusterRegistry.class)
public class ClusterController {

  private final ClusterRegistry registry;
  private final TunnelServer tunnel;

  public ClusterController(ClusterRegistry registry, TunnelServer tunnel) {
    this.registry = registry;
    this.tunnel = tunnel;
  }

  @Get
  List<ClusterRecord> list() {
    return registry.list();
  }

  @Get("/{name}")
  HttpResponse<?> get(String name) {
    return registry.get(name).<HttpResponse<?>>map(HttpResponse::ok).orElseGet(() -> notFound(name));
  }

  /** Replaces the cluster's labels with the given map. */
  @Put("/{name}/labels")
  HttpResponse<?> label(String name, @Body Map<String, String> labels) {
    for (var e : labels.entrySet()) {
      if (e.getKey().isBlank() || e.getKey().length() > 253 || e.getValue() == null || e.getValue().length() > 63) {
        return KubeStatus.response(400, "label \"" + e.getKey() + "\" is not valid: keys up to 253 characters,"
            + " values up to 63");
      }
    }
    return registry.setLabels(name, labels).<HttpResponse<?>>map(HttpResponse::ok).orElseGet(() -> notFound(name));
  }

  /** Forgets the cluster and drops its tunnel; its certificate stops working. */
  @Delete("/{name}")
  HttpResponse<?> delete(String name) {
    if (!registry.delete(name)) {
      return notFound(name);
    }
    tunnel.disconnect(name, "cluster deleted at the hub");
    return HttpResponse.noContent();
  }

  private static HttpResponse<?> notFound(String name) {
    return KubeStatus.response(404, "cluster \"" + name + "\" is not registered at this hub");
  }
}
