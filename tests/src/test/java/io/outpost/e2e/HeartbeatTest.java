package io.outpost.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.outpost.agent.identity.AgentIdentityFiles;
import io.outpost.demo.Fleet;
import io.outpost.hub.registry.ClusterRecord;
import io.outpost.tunnel.proto.AgentMessage;
import io.outpost.tunnel.proto.ClusterSummary;
import io.outpost.tunnel.proto.Hello;
import io.outpost.tunnel.proto.HubMessage;
import io.outpost.tunnel.proto.TunnelGrpc;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A link that stays open but carries nothing (half-open, a hung agent) is noticed by heartbeats. */
class HeartbeatTest {

  @TempDir Path dir;
  Fleet fleet;
  ManagedChannel channel;

  @AfterEach
  void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    fleet.close();
  }

  @Test
  void aClusterWhoseAgentMissesThreeHeartbeatsGoesOfflineAndItsStreamIsClosed() {
    fleet = Fleet.start(dir, List.of(Fleet.Member.of("edge-1", "edge", Map.of())),
        hub -> hub.heartbeatInterval(Duration.ofMillis(400)), agent -> agent);
    fleet.stopAgent("edge-1");
    AgentIdentityFiles.Identity id = AgentIdentityFiles.load(fleet.agentDir("edge-1")).current();
    channel = Grpc.newChannelBuilderForAddress("localhost", fleet.hub().tunnelPort(), id.credentials()).build();
    AtomicReference<Status> closed = new AtomicReference<>();

    // A hello, then silence: the TCP connection and the stream stay up.
    StreamObserver<AgentMessage> control = TunnelGrpc.newStub(channel).control(new StreamObserver<>() {
      @Override
      public void onNext(HubMessage message) {}

      @Override
      public void onError(Throwable t) {
        closed.set(Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {
        closed.set(Status.OK);
      }
    });
    control.onNext(AgentMessage.newBuilder().setHello(Hello.newBuilder().setAgentVersion("silent")
        .setSummary(ClusterSummary.getDefaultInstance())).build());
    await().atMost(Duration.ofSeconds(5)).until(() -> status().equals(ClusterRecord.READY));

    long readyAt = System.nanoTime();
    await().atMost(Duration.ofSeconds(5)).until(() -> status().equals(ClusterRecord.OFFLINE));
    long silentMillis = (System.nanoTime() - readyAt) / 1_000_000;
    assertThat(silentMillis).isGreaterThanOrEqualTo(3 * 400 - 100);
    assertThat(fleet.hub().registry().get("edge-1").orElseThrow().statusReason()).contains("3 missed");
    await().atMost(Duration.ofSeconds(5)).until(() -> closed.get() != null);
    assertThat(closed.get().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(closed.get().getDescription()).contains("no heartbeat");
  }

  private String status() {
    return fleet.hub().registry().get("edge-1").map(ClusterRecord::status).orElse("absent");
  }
}
