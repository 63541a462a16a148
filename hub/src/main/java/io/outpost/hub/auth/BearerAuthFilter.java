package io.outpost.hub.auth;

import io.micronaut.context.annotation.Requires;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.RequestFilter;
import io.micronaut.http.annotation.ServerFilter;
import io.outpost.hub.gateway.KubeStatus;
import java.util.Optional;

/**
 * Every gateway and REST call needs a hub user's bearer token. Failures answer 401 as a
 * Kubernetes Status, which kubectl prints as "error: You must be logged in to the server".
 */
@ServerFilter({"/clusters/**", "/api/**"})
@Requires(beans = UserTokens.class)
public class BearerAuthFilter {

  /** Request attribute holding the authenticated user's name. */
  public static final String USER = "outpost.user";

  private final UserTokens users;

  public BearerAuthFilter(UserTokens users) {
    this.users = users;
  }

  @RequestFilter
  @Nullable
  HttpResponse<?> authenticate(HttpRequest<?> request) {
    Optional<String> header = request.getHeaders().get(HttpHeaders.AUTHORIZATION, String.class);
    if (header.isEmpty() || !header.get().regionMatches(true, 0, "Bearer ", 0, 7)) {
      return KubeStatus.response(401, "Unauthorized: no bearer token; use the kubeconfig from"
          + " 'outpost kubeconfig' or send 'Authorization: Bearer <token>'");
    }
    Optional<String> user = users.authenticate(header.get().substring(7).trim());
    if (user.isEmpty()) {
      return KubeStatus.response(401, "Unauthorized: the bearer token is not valid at this hub");
    }
    request.setAttribute(USER, user.get());
    return null;
  }
}
