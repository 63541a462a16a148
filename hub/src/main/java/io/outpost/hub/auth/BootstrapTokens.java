package io.outpost.hub.auth;

import io.micronaut.json.JsonMapper;
import io.outpost.cache.store.DurableMap;
import io.outpost.cache.store.DurableStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/** Bootstrap tokens: created with a lifetime, used once by one joining agent, stored hashed. */
public final class BootstrapTokens {

  private static final Pattern FORMAT = Pattern.compile("([a-z0-9]{6})\\.([a-z0-9]{16})");

  private final DurableMap tokens;
  private final JsonMapper json;
  private final Clock clock;

  public BootstrapTokens(DurableStore store, JsonMapper json, Clock clock) {
    this.tokens = store.map("bootstrap-tokens");
    this.json = json;
    this.clock = clock;
  }

  /** A fresh token. The returned secret form is shown once and never stored. */
  public Created create(Duration ttl, String description) {
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("token ttl: " + ttl + " (expected: > 0, e.g. 24h)");
    }
    String id = Secrets.random(6);
    String secret = Secrets.random(16);
    Instant now = clock.instant();
    BootstrapToken token = new BootstrapToken(id, Secrets.hash(secret), description, now.toString(),
        now.plus(ttl).toString(), null, null);
    tokens.put(id, write(token));
    return new Created(id + "." + secret, token);
  }

  public record Created(String token, BootstrapToken stored) {}

  public List<BootstrapToken> list() {
    return tokens.snapshot().values().stream().map(this::read)
        .sorted(Comparator.comparing(BootstrapToken::createdAt)).toList();
  }

  public boolean revoke(String id) {
    return tokens.remove(id);
  }

  /**
   * Checks that {@code presented} may be used now; returns its id.
   *
   * @throws InvalidTokenException saying whether it is malformed, unknown, expired or used
   */
  public String check(String presented) throws InvalidTokenException {
    var m = FORMAT.matcher(presented == null ? "" : presented.trim());
    if (!m.matches()) {
      throw new InvalidTokenException("the bootstrap token is malformed: expected ID.SECRET"
          + " (6 and 16 lower-case letters or digits) as printed by 'outpost token create'");
    }
    String id = m.group(1);
    Optional<BootstrapToken> stored = tokens.get(id).map(this::read);
    if (stored.isEmpty() || !Secrets.matches(m.group(2), stored.get().secretHash())) {
      throw new InvalidTokenException("bootstrap token " + id + " is not valid (unknown, revoked or mistyped);"
          + " create a new one with 'outpost token create'");
    }
    BootstrapToken token = stored.get();
    if (token.usedAt() != null) {
      throw new InvalidTokenException("bootstrap token " + id + " was already used by cluster " + token.usedBy()
          + " at " + token.usedAt() + "; tokens are single-use, create a new one with 'outpost token create'");
    }
    if (!clock.instant().isBefore(Instant.parse(token.expiresAt()))) {
      throw new InvalidTokenException("bootstrap token " + id + " expired at " + token.expiresAt()
          + "; create a new one with 'outpost token create --ttl 24h'");
    }
    return id;
  }

  /** Marks a checked token used; call inside the join transaction. */
  public void consume(String id, String clusterName) {
    tokens.get(id).map(this::read).ifPresent(t ->
        tokens.put(id, write(t.used(clusterName, clock.instant().toString()))));
  }

  /** Thrown for a token that cannot be used; the message is meant for the operator. */
  public static final class InvalidTokenException extends Exception {
    public InvalidTokenException(String message) {
      super(message);
    }
  }

  private byte[] write(BootstrapToken token) {
    try {
      return json.writeValueAsBytes(token);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode bootstrap token " + token.id(), e);
    }
  }

  private BootstrapToken read(byte[] bytes) {
    try {
      return json.readValue(bytes, BootstrapToken.class);
    } catch (IOException e) {
      throw new UncheckedIOException("a stored bootstrap token cannot be decoded", e);
    }
  }
}
