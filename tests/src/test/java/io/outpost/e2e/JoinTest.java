package io.outpost.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.outpost.agent.AgentJoin;
import io.outpost.demo.Fleet;
import io.outpost.tunnel.client.JoinClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What an operator sees when a join cannot work. Each case uses the CLI's join path. */
class JoinTest {

  @TempDir static Path dir;
  static Fleet fleet;
  static String hubAddress;

  @BeforeAll
  static void startFleet() {
    fleet = Fleet.start(dir, List.of(Fleet.Member.of("edge-1", "edge", Map.of())), hub -> hub, agent -> agent);
    hubAddress = "localhost:" + fleet.hub().tunnelPort();
  }

  @AfterAll
  static void stopFleet() {
    fleet.close();
  }

  @Test
  void aWrongTokenIsRefused() {
    assertThatThrownBy(() -> join("abcdef.0123456789abcdef", fleet.hub().caPin(), "wrong-token"))
        .isInstanceOf(JoinClient.JoinException.class)
        .hasMessageContaining("bootstrap token abcdef is not valid");
  }

  @Test
  void aMalformedTokenIsRefusedWithTheExpectedFormat() {
    assertThatThrownBy(() -> join("not-a-token", fleet.hub().caPin(), "malformed-token"))
        .hasMessageContaining("the bootstrap token is malformed: expected ID.SECRET");
  }

  @Test
  void anExpiredTokenIsRefused() {
    var created = fleet.hub().tokens().create(Duration.ofMillis(200), "short");
    await().atMost(Duration.ofSeconds(5)).until(() -> Instant.now().isAfter(Instant.parse(created.stored().expiresAt())));
    assertThatThrownBy(() -> join(created.token(), fleet.hub().caPin(), "late"))
        .hasMessageContaining("bootstrap token " + created.stored().id() + " expired at");
  }

  @Test
  void aTokenCannotBeUsedTwice() throws Exception {
    String token = fleet.hub().tokens().create(Duration.ofMinutes(5), "once").token();
    join(token, fleet.hub().caPin(), "first-user");
    assertThatThrownBy(() -> join(token, fleet.hub().caPin(), "second-user"))
        .hasMessageContaining("was already used by cluster first-user")
        .hasMessageContaining("single-use");
  }

  @Test
  void aCaHashThatDoesNotMatchTheHubIsRefusedBeforeTheTokenIsSent() {
    String token = fleet.hub().tokens().create(Duration.ofMinutes(5), "pin").token();
    String wrongPin = "sha256:" + "0".repeat(64);
    assertThatThrownBy(() -> join(token, wrongPin, "pinned"))
        .hasMessageContaining("does not match --ca-hash");
    assertThat(fleet.hub().tokens().list()).filteredOn(t -> token.startsWith(t.id()))
        .allSatisfy(t -> assertThat(t.usedAt()).isNull());
  }

  @Test
  void aMalformedCaHashNamesTheExpectedFormat() {
    assertThatThrownBy(() -> join("abcdef.0123456789abcdef", "md5:1234", "bad-pin"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected sha256:<64 hex characters>");
  }

  @Test
  void aNameHeldByAnotherAgentIsRefused() {
    String token = fleet.hub().tokens().create(Duration.ofMinutes(5), "dup").token();
    assertThatThrownBy(() -> join(token, fleet.hub().caPin(), "edge-1"))
        .hasMessageContaining("cluster name \"edge-1\" is already held by another agent")
        .hasMessageContaining("outpost clusters delete edge-1");
  }

  @Test
  void anInvalidClusterNameIsRefused() {
    String token = fleet.hub().tokens().create(Duration.ofMinutes(5), "name").token();
    assertThatThrownBy(() -> join(token, fleet.hub().caPin(), "Edge_01"))
        .hasMessageContaining("cluster name \"Edge_01\" is not valid");
  }

  @Test
  void anUnreachableHubIsNamed() {
    assertThatThrownBy(() -> AgentJoin.join("localhost:1", "abcdef.0123456789abcdef", fleet.hub().caPin(),
        "nowhere", "edge", Map.of(), dir.resolve("agent-nowhere")))
        .hasMessageContaining("cannot reach the hub at localhost:1");
  }

  @Test
  void aDataDirThatAlreadyHoldsAnAgentIsNotOverwritten() {
    String token = fleet.hub().tokens().create(Duration.ofMinutes(5), "again").token();
    assertThatThrownBy(() -> AgentJoin.join(hubAddress, token, fleet.hub().caPin(), "again", "edge", Map.of(),
        fleet.agentDir("edge-1")))
        .hasMessageContaining("already holds a joined agent (edge-1)");
  }

  private static void join(String token, String pin, String name) throws Exception {
    AgentJoin.join(hubAddress, token, pin, name, "edge", Map.of(), dir.resolve("agent-" + name));
  }
}
