package io.outpost.hub.api;

import io.micronaut.context.annotation.Requires;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.outpost.hub.delivery.Sources;
import io.outpost.hub.delivery.WebhookSignature;
import io.outpost.hub.gateway.KubeStatus;

/**
 * Push webhooks straight from a Git server, which cannot send a hub bearer token: outside
 * {@code /api}, authenticated instead by the source's webhook secret (GitHub, Gitea/Forgejo and
 * GitLab forms, see {@link WebhookSignature}). Answers with the source's state after the fetch.
 */
@Controller("/hooks/sources")
@Requires(beans = Sources.class)
@ExecuteOn(TaskExecutors.BLOCKING)
public class WebhookController {

  private final Sources sources;

  public WebhookController(Sources sources) {
    this.sources = sources;
  }

  @Post("/{name}")
  HttpResponse<?> push(String name, @Nullable @Body byte[] body,
      @Nullable @Header("X-Hub-Signature-256") String github,
      @Nullable @Header("X-Gitea-Signature") String gitea,
      @Nullable @Header("X-Gitlab-Token") String gitlab) {
    try {
      return sources.signedWebhook(name, body == null ? new byte[0] : body,
              new WebhookSignature.Headers(github, gitea, gitlab))
          .<HttpResponse<?>>map(HttpResponse::ok)
          .orElseGet(() -> KubeStatus.response(404, "source \"" + name + "\" is not declared at this hub"));
    } catch (WebhookSignature.Refused e) {
      return KubeStatus.response(401, "Unauthorized: " + e.getMessage());
    }
  }
}
