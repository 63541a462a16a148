package io.outpost.hub.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.outpost.cache.store.DurableStore;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UserTokensTest {

  @TempDir Path dir;

  @Test
  void theAdminTokenIsMadeOnceAndAuthenticatesAfterARestart() {
    String admin;
    try (DurableStore store = DurableStore.open(dir.resolve("hub.db"))) {
      admin = new UserTokens(store).ensureAdmin().orElseThrow();
    }
    try (DurableStore store = DurableStore.open(dir.resolve("hub.db"))) {
      UserTokens users = new UserTokens(store);
      assertTrue(users.ensureAdmin().isEmpty(), "a second start must not print a new admin token");
      assertEquals(Optional.of("admin"), users.authenticate(admin));
      assertTrue(users.authenticate(admin + "x").isEmpty());
      assertTrue(users.authenticate("op_admin_").isEmpty());
      assertTrue(users.authenticate("Bearer " + admin).isEmpty());
      assertTrue(users.authenticate(null).isEmpty());
    }
  }
}
