package io.outpost.hub.auth;

import io.outpost.cache.store.DurableMap;
import io.outpost.cache.store.DurableStore;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Bearer tokens of hub users (people and CI talking to the REST API and the Kubernetes gateway).
 * On first start an admin token is made and shown once; only its hash is kept.
 */
public final class UserTokens {

  public static final String ADMIN = "admin";
  private static final String PREFIX = "op_";

  private final DurableMap users;

  public UserTokens(DurableStore store) {
    this.users = store.map("users");
  }

  /** Creates the admin token if there is none yet; returns it only when it was just created. */
  public Optional<String> ensureAdmin() {
    if (users.get(ADMIN).isPresent()) {
      return Optional.empty();
    }
    return Optional.of(issue(ADMIN));
  }

  /** Makes a new token for {@code user}, replacing any previous one. */
  public String issue(String user) {
    String token = PREFIX + user + "_" + Secrets.random(32);
    users.put(user, Secrets.hash(token).getBytes(StandardCharsets.US_ASCII));
    return token;
  }

  /** The user a bearer token belongs to, if any. */
  public Optional<String> authenticate(String bearer) {
    if (bearer == null || !bearer.startsWith(PREFIX)) {
      return Optional.empty();
    }
    int end = bearer.lastIndexOf('_');
    if (end <= PREFIX.length()) {
      return Optional.empty();
    }
    String user = bearer.substring(PREFIX.length(), end);
    return users.get(user)
        .filter(hash -> Secrets.matches(bearer, new String(hash, StandardCharsets.US_ASCII)))
        .map(hash -> user);
  }
}
