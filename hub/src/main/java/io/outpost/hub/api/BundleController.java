package io.outpost.hub.api;

import io.micronaut.context.annotation.Requires;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.RequestAttribute;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.serde.annotation.Serdeable;
import io.outpost.hub.auth.BearerAuthFilter;
import io.outpost.hub.delivery.BundleView;
import io.outpost.hub.delivery.DeliveryException;
import io.outpost.hub.delivery.RolloutEngine;
import io.outpost.hub.gateway.KubeStatus;
import java.util.List;
import java.util.Optional;

/**
 * REST API of bundles: list with status counts, get with per-cluster status and history, and the
 * rollout actions promote, pause, resume and rollback.
 */
@Controller("/api/v1/bundles")
@Requires(beans = RolloutEngine.class)
@ExecuteOn(TaskExecutors.BLOCKING)
public class BundleController {

  /** Body of a rollback: a commit id (or unique prefix), tag or branch already fetched. */
  @Serdeable
  public record RollbackRequest(@Nullable String revision) {}

  private final RolloutEngine engine;

  public BundleController(RolloutEngine engine) {
    this.engine = engine;
  }

  @Get
  List<BundleView> list() {
    return engine.list();
  }

  @Get("/{name}")
  HttpResponse<?> get(String name) {
    return answer(name, engine.get(name));
  }

  @Post("/{name}/promote")
  HttpResponse<?> promote(String name, @RequestAttribute(BearerAuthFilter.USER) String user) {
    return answer(name, engine.promote(name, user));
  }

  @Post("/{name}/pause")
  HttpResponse<?> pause(String name, @RequestAttribute(BearerAuthFilter.USER) String user) {
    return answer(name, engine.pause(name, user));
  }

  @Post("/{name}/resume")
  HttpResponse<?> resume(String name, @RequestAttribute(BearerAuthFilter.USER) String user) {
    return answer(name, engine.resume(name, user));
  }

  @Post("/{name}/rollback")
  HttpResponse<?> rollback(String name, @Body RollbackRequest request,
      @RequestAttribute(BearerAuthFilter.USER) String user) {
    if (request.revision() == null || request.revision().isBlank()) {
      return KubeStatus.response(400, "rollback of bundle \"" + name + "\": revision is required (a commit id)");
    }
    try {
      return answer(name, engine.rollback(name, request.revision().trim(), user));
    } catch (DeliveryException e) {
      return KubeStatus.response(400, "rollback of bundle \"" + name + "\": " + e.getMessage());
    }
  }

  private static HttpResponse<?> answer(String name, Optional<BundleView> view) {
    return view.<HttpResponse<?>>map(HttpResponse::ok)
        .orElseGet(() -> KubeStatus.response(404, "bundle \"" + name + "\" is not known at this hub"));
  }
}
