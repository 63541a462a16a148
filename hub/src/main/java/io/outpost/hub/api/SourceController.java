package io.outpost.hub.api;

import io.micronaut.context.annotation.Requires;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.RequestAttribute;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.outpost.hub.auth.BearerAuthFilter;
import io.outpost.hub.delivery.SourceSpec;
import io.outpost.hub.delivery.SourceView;
import io.outpost.hub.delivery.Sources;
import io.outpost.hub.gateway.KubeStatus;
import java.util.List;

/**
 * REST API of Git sources: declare (with credentials, which are never shown again), list, get,
 * delete, and the webhook that fetches a source at once.
 */
@Controller("/api/v1/sources")
@Requires(beans = Sources.class)
@ExecuteOn(TaskExecutors.BLOCKING)
public class SourceController {

  private final Sources sources;

  public SourceController(Sources sources) {
    this.sources = sources;
  }

  @Get
  List<SourceView> list() {
    return sources.list();
  }

  @Get("/{name}")
  HttpResponse<?> get(String name) {
    return sources.get(name).<HttpResponse<?>>map(HttpResponse::ok).orElseGet(() -> notFound(name));
  }

  /** Creates or replaces a source and fetches it; the answer shows the first fetch's outcome. */
  @Post
  HttpResponse<?> put(@Body SourceSpec.Request request, @RequestAttribute(BearerAuthFilter.USER) String user) {
    try {
      return HttpResponse.ok(sources.put(request, user));
    } catch (IllegalArgumentException e) {
      return KubeStatus.response(400, e.getMessage());
    }
  }

  @Delete("/{name}")
  HttpResponse<?> delete(String name) {
    return sources.delete(name) ? HttpResponse.noContent() : notFound(name);
  }

  /** Fetches the source now (point a Git server's push webhook here) and answers with the outcome. */
  @Post("/{name}/webhook")
  HttpResponse<?> webhook(String name, @RequestAttribute(BearerAuthFilter.USER) String user) {
    return sources.sync(name, "webhook (" + user + ")").<HttpResponse<?>>map(HttpResponse::ok)
        .orElseGet(() -> notFound(name));
  }

  private static HttpResponse<?> notFound(String name) {
    return KubeStatus.response(404, "source \"" + name + "\" is not declared at this hub");
  }
}
