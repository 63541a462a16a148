package io.outpost.hub.api;

import io.micronaut.context.annotation.Requires;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Post;
import io.micronaut.serde.annotation.Serdeable;
import io.outpost.hub.auth.BootstrapToken;
import io.outpost.hub.auth.BootstrapTokens;
import io.outpost.hub.config.HubSettings;
import io.outpost.hub.gateway.KubeStatus;
import io.outpost.hub.join.HubPki;
import io.outpost.tunnel.server.TunnelServer;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;

/** REST API of bootstrap tokens: create (the secret is shown only in this answer), list, revoke. */
@Controller("/api/v1/tokens")
@ExecuteOn(TaskExecutors.BLOCKING) // store commits (fsync) must not run on the event loop
@Requires(beans = BootstrapTokens.class)
public class TokenController {

  private final BootstrapTokens tokens;
  private final HubSettings settings;
  private final HubPki pki;
  private final TunnelServer tunnel;

  public TokenController(BootstrapTokens tokens, HubSettings settings, HubPki pki, TunnelServer tunnel) {
    this.tokens = tokens;
    this.settings = settings;
    this.pki = pki;
    this.tunnel = tunnel;
  }

  @Serdeable
  public record CreateRequest(@Nullable String ttl, @Nullable String description) {}

  @Serdeable
  public record CreateResponse(String token, String id, String expiresAt, String caHash, String joinCommand) {}

  @Post
  HttpResponse<?> create(@Nullable @Body CreateRequest request) {
    Duration ttl = settings.getDefaultTokenTtl();
    if (request != null && request.ttl() != null) {
      try {
        ttl = Durations.parse(request.ttl());
      } catch (DateTimeParseException | IllegalArgumentException e) {
        return KubeStatus.response(400, "ttl \"" + request.ttl() + "\" is not valid: use e.g. 30m, 24h or 7d");
      }
    }
    BootstrapTokens.Created created;
    try {
      created = tokens.create(ttl, request == null ? null : request.description());
    } catch (IllegalArgumentException e) {
      return KubeStatus.response(400, e.getMessage());
    }
    String hub = settings.getAdvertiseHosts().get(0) + ":" + tunnel.port();
    String join = "outpost agent join --hub " + hub + " --token " + created.token() + " --ca-hash " + pki.caPin()
        + " --name CLUSTER_NAME";
    return HttpResponse.created(new CreateResponse(created.token(), created.stored().id(),
        created.stored().expiresAt(), pki.caPin(), join));
  }

  @Get
  List<BootstrapToken> list() {
    return tokens.list();
  }

  @Delete("/{id}")
  HttpResponse<?> revoke(String id) {
    return tokens.revoke(id) ? HttpResponse.noContent()
        : KubeStatus.response(404, "bootstrap token " + id + " does not exist");
  }
}
