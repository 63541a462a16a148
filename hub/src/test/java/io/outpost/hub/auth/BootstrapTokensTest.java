package io.outpost.hub.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micronaut.json.JsonMapper;
import io.outpost.cache.store.DurableStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BootstrapTokensTest {

  @TempDir Path dir;
  DurableStore store;
  MutableClock clock = new MutableClock(Instant.parse("2026-11-22T10:00:00Z"));
  BootstrapTokens tokens;

  @BeforeEach
  void open() {
    store = DurableStore.open(dir.resolve("hub.db"));
    tokens = new BootstrapTokens(store, JsonMapper.createDefault(), clock);
  }

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void aCreatedTokenChecksOnceAndIsThenUsed() throws Exception {
    String token = tokens.create(Duration.ofHours(1), "shop").token();
    String id = tokens.check(token);
    tokens.consume(id, "edge-1");
    BootstrapTokens.InvalidTokenException e = assertThrows(BootstrapTokens.InvalidTokenException.class,
        () -> tokens.check(token));
    assertTrue(e.getMessage().contains("was already used by cluster edge-1"), e.getMessage());
  }

  @Test
  void theSecretIsNeverStored() throws Exception {
    String token = tokens.create(Duration.ofHours(1), "shop").token();
    String secret = token.substring(token.indexOf('.') + 1);
    store.close();
    String raw = new String(Files.readAllBytes(dir.resolve("hub.db")), StandardCharsets.ISO_8859_1);
    assertFalse(raw.contains(secret), "the token's secret is in the store file");
    store = DurableStore.open(dir.resolve("hub.db"));
    tokens = new BootstrapTokens(store, JsonMapper.createDefault(), clock);
    assertEquals(token.substring(0, 6), tokens.check(token));
  }

  @Test
  void anExpiredTokenSaysWhenItExpired() {
    String token = tokens.create(Duration.ofMinutes(5), null).token();
    clock.advance(Duration.ofMinutes(5));
    BootstrapTokens.InvalidTokenException e = assertThrows(BootstrapTokens.InvalidTokenException.class,
        () -> tokens.check(token));
    assertTrue(e.getMessage().contains("expired at 2026-11-22T10:05:00Z"), e.getMessage());
  }

  @Test
  void aRevokedOrMistypedTokenIsNotValid() {
    String token = tokens.create(Duration.ofMinutes(5), null).token();
    String mistyped = token.substring(0, token.length() - 1) + (token.endsWith("a") ? "b" : "a");
    assertTrue(assertThrows(BootstrapTokens.InvalidTokenException.class, () -> tokens.check(mistyped))
        .getMessage().contains("is not valid"));
    assertTrue(tokens.revoke(token.substring(0, 6)));
    assertTrue(assertThrows(BootstrapTokens.InvalidTokenException.class, () -> tokens.check(token))
        .getMessage().contains("is not valid"));
  }

  @Test
  void aNonPositiveLifetimeIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> tokens.create(Duration.ZERO, null));
  }

  /** A clock tests move by hand. */
  static final class MutableClock extends Clock {
    private Instant now;

    MutableClock(Instant start) {
      this.now = start;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
