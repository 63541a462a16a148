package io.outpost.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.outpost.agent.identity.AgentIdentityFiles;
import io.outpost.demo.Fleet;
import io.outpost.e2e.support.CallOutcome;
import io.outpost.e2e.support.HubClient;
import io.outpost.tunnel.pki.PinnedCaTrustManager;
import io.outpost.tunnel.pki.Tls;
import io.outpost.tunnel.proto.AgentMessage;
import io.outpost.tunnel.proto.Attach;
import io.outpost.tunnel.proto.ClusterSummary;
import io.outpost.tunnel.proto.ExchangeFrame;
import io.outpost.tunnel.proto.Heartbeat;
import io.outpost.tunnel.proto.Hello;
import io.outpost.tunnel.proto.HubMessage;
import io.outpost.tunnel.proto.RequestHead;
import io.outpost.tunnel.proto.ResponseHead;
import io.outpost.tunnel.proto.TunnelGrpc;
import io.outpost.tunnel.server.AgentSession;
import io.outpost.tunnel.server.ExchangeListener;
import io.outpost.tunnel.server.HubExchange;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hostile and broken input at the tunnel port, and a hub that asks an agent for what it must never
 * proxy. Each scenario asserts what the caller sees, and that the hub goes on serving the real
 * agents.
 */
class TunnelProtocolAbuseTest {

  private static final int MAX_MESSAGE_BYTES = 256 * 1024;
  private static final int MAX_CONCURRENT_EXCHANGES = 2;
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);
  private static final String VICTIM = "edge-1";

  @TempDir static Path dir;

  private static Fleet fleet;
  private static HubClient hub;
  private static final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeAll
  static void startFleet() throws Exception {
    fleet = Fleet.start(dir, List.of(
            Fleet.Member.of("idc-1", "idc", Map.of("region", "cn-bj")),
            Fleet.Member.of("cloud-1", "cloud", Map.of("region", "us-west")),
            Fleet.Member.of(VICTIM, "edge", Map.of("region", "cn-sh"))),
        settings -> settings.heartbeatInterval(Duration.ofMillis(500))
            .property("max-message-bytes", MAX_MESSAGE_BYTES)
            .property("max-concurrent-exchanges", MAX_CONCURRENT_EXCHANGES),
        agent -> agent);
    for (Fleet.Member member : fleet.members()) {
      assertTrue(fleet.agent(member.name()).awaitConnected(Duration.ofSeconds(15)),
          "agent of " + member.name() + " connected");
    }
    hub = new HubClient(fleet);
  }

  @AfterAll
  static void stopFleet() {
    channels.forEach(ManagedChannel::shutdownNow);
    if (fleet != null) {
      fleet.close();
    }
  }

  // ---- oversized and malformed messages ----

  @Test
  void givenAControlMessageOverTheHubsLimit_whenSent_thenTheCallFailsResourceExhaustedAndTheHubKeepsServing() {
    Instant connectedBefore = victimSession().connectedAt();
    String huge = "x".repeat(MAX_MESSAGE_BYTES + 64 * 1024);
    CallOutcome<HubMessage> outcome = new CallOutcome<>();
    StreamObserver<AgentMessage> control = TunnelGrpc.newStub(channelAs(VICTIM)).control(outcome);

    control.onNext(AgentMessage.newBuilder().setHello(Hello.newBuilder().setAgentVersion("abuser")
        .setSummary(ClusterSummary.newBuilder().setApiserverError(huge))).build());

    Status status = outcome.awaitStatus(CALL_TIMEOUT);
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, status.getCode(), status::toString);
    assertTrue(String.valueOf(status.getDescription()).contains(String.valueOf(MAX_MESSAGE_BYTES)),
        () -> "the description names the limit of " + MAX_MESSAGE_BYTES + " bytes: " + status);
    assertTrue(outcome.messages().isEmpty(), () -> "no welcome for an oversized hello: " + outcome.messages());
    assertHubStillServes(VICTIM);
    assertEquals(connectedBefore, victimSession().connectedAt(), "the real agent's session was not replaced");
  }

  @Test
  void givenGarbageBytesAsAnExchangeFrame_whenSent_thenTheCallFailsAndTheHubKeepsServing() {
    CallOutcome<byte[]> outcome = sendRawExchangeFrame(GARBAGE);

    Status status = outcome.awaitStatus(CALL_TIMEOUT);
    assertNotEquals(Status.Code.OK, status.getCode(), status::toString);
    assertTrue(outcome.messages().isEmpty(), "no frames answer a malformed frame");
    assertHubStillServes(VICTIM);
  }

  @Test
  void givenGarbageBytesAsAnExchangeFrame_whenSent_thenTheStatusSaysTheFrameIsNotValidProtobuf() {
    CallOutcome<byte[]> outcome = sendRawExchangeFrame(GARBAGE);

    Status status = outcome.awaitStatus(CALL_TIMEOUT);
    assertTrue(status.getCode() == Status.Code.INVALID_ARGUMENT || status.getCode() == Status.Code.INTERNAL,
        () -> "a malformed frame is the caller's fault (INVALID_ARGUMENT) or at least INTERNAL, not an"
            + " application error: got " + status);
    assertTrue(String.valueOf(status.getDescription()).toLowerCase(Locale.ROOT).contains("protobuf"),
        () -> "the description says the frame is not valid protobuf: " + status);
  }

  // ---- a body larger than the hub's message limit ----

  @Test
  void givenAListLargerThanTheHubsMessageLimit_whenReadThroughTheHub_thenItArrivesWholeInChunksTheHubTakes() {
    // The agent packs a streamed body into chunks of what the hub advertised (here just under its
    // 256 KiB limit); packing to its own ceiling instead would make every chunk an oversized message.
    String namespace = "big-body";
    var member = fleet.sandbox(VICTIM).client();
    member.namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder()
        .withNewMetadata().withName(namespace).endMetadata().build()).create();
    for (int i = 0; i < 4; i++) {
      member.configMaps().inNamespace(namespace).resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
          .withNewMetadata().withName("big-" + i).endMetadata()
          .addToData("blob", String.valueOf((char) ('a' + i)).repeat(300_000)).build()).create();
    }

    HttpResponse<String> response = hub.gatewayGet(VICTIM, "/api/v1/namespaces/" + namespace + "/configmaps");

    assertEquals(200, response.statusCode(), () -> abbreviate(response.body()));
    assertTrue(response.body().length() > 4 * MAX_MESSAGE_BYTES, () -> "the whole list: " + abbreviate(response.body()));
    for (int i = 0; i < 4; i++) {
      String blob = String.valueOf((char) ('a' + i)).repeat(300_000);
      assertTrue(response.body().contains("\"blob\":\"" + blob + "\""), "config map big-" + i + " arrived whole");
    }
    assertHubStillServes(VICTIM);
  }

  // ---- exchange stream protocol ----

  @Test
  void givenAnExchangeStream_whenTheFirstFrameIsNotAttach_thenInvalidArgument() {
    CallOutcome<ExchangeFrame> outcome = new CallOutcome<>();
    StreamObserver<ExchangeFrame> exchange = TunnelGrpc.newStub(channelAs(VICTIM)).exchange(outcome);

    exchange.onNext(ExchangeFrame.newBuilder().setResponseHead(ResponseHead.newBuilder().setStatus(200)).build());

    Status status = outcome.awaitStatus(CALL_TIMEOUT);
    assertEquals(Status.Code.INVALID_ARGUMENT, status.getCode(), status::toString);
    assertTrue(String.valueOf(status.getDescription())
            .startsWith("the first frame of an exchange stream must be attach"),
        status::toString);
    assertHubStillServes(VICTIM);
  }

  @Test
  void givenAnExchangeStream_whenItAttachesToAnUnknownExchangeId_thenNotFoundNamingIt() {
    String unknown = "no-such-exchange-0d5c";
    CallOutcome<ExchangeFrame> outcome = new CallOutcome<>();
    StreamObserver<ExchangeFrame> exchange = TunnelGrpc.newStub(channelAs(VICTIM)).exchange(outcome);

    exchange.onNext(attach(unknown));

    Status status = outcome.awaitStatus(CALL_TIMEOUT);
    assertEquals(Status.Code.NOT_FOUND, status.getCode(), status::toString);
    assertTrue(String.valueOf(status.getDescription()).contains(unknown), status::toString);
  }

  @Test
  void givenAnExchangeOpenedForOneCluster_whenAnotherClustersAgentAttachesToIt_thenNotFoundAndTheRightAgentAnswers() {
    RecordingListener listener = new RecordingListener();
    HubExchange opened = open(VICTIM, RequestHead.newBuilder().setMethod("GET")
        .setPath("/api/v1/namespaces/default/configmaps").build(), listener);
    CallOutcome<ExchangeFrame> outcome = new CallOutcome<>();
    StreamObserver<ExchangeFrame> thief = TunnelGrpc.newStub(channelAs("idc-1")).exchange(outcome);

    thief.onNext(attach(opened.id()));

    Status status = outcome.awaitStatus(CALL_TIMEOUT);
    assertEquals(Status.Code.NOT_FOUND, status.getCode(), status::toString);
    assertTrue(String.valueOf(status.getDescription()).contains("idc-1"), status::toString);
    listener.awaitEnd();
    assertEquals(200, listener.head.join().getStatus(), "edge-1's own agent answered the exchange");
    String seeded = fleet.sandbox(VICTIM).client().configMaps().inNamespace("default").list().getItems().get(0)
        .getMetadata().getName();
    assertTrue(listener.body().contains("\"name\":\"" + seeded + "\""),
        () -> "edge-1's ConfigMap " + seeded + " in " + abbreviate(listener.body()));
  }

  @Test
  void givenAnExchangeAttachedByItsAgent_whenASecondStreamAttachesToTheSameId_thenItIsRefusedAndCannotInjectFrames() {
    RecordingListener listener = new RecordingListener();
    HubExchange watch = open(VICTIM, RequestHead.newBuilder().setMethod("GET")
        .setPath("/api/v1/namespaces/default/configmaps").setQuery("watch=true").build(), listener);
    try {
      listener.awaitHead();
      assertEquals(200, listener.head.join().getStatus(), "the real agent attached and answered the watch");
      CallOutcome<ExchangeFrame> outcome = new CallOutcome<>();
      StreamObserver<ExchangeFrame> second = TunnelGrpc.newStub(channelAs(VICTIM)).exchange(outcome);

      second.onNext(attach(watch.id()));
      second.onNext(ExchangeFrame.newBuilder()
          .setChunk(ByteString.copyFromUtf8("{\"type\":\"ADDED\",\"object\":{\"kind\":\"INJECTED\"}}\n")).build());

      Awaitility.await("the second stream refused, or its frame delivered").atMost(CALL_TIMEOUT)
          .until(() -> outcome.isDone() || listener.body().contains("INJECTED"));
      assertTrue(!listener.body().contains("INJECTED"),
          () -> "a second stream attached to a live exchange and injected a frame into its response: "
              + abbreviate(listener.body()));
      Status status = outcome.awaitStatus(CALL_TIMEOUT);
      assertNotEquals(Status.Code.OK, status.getCode(), "a second attach to a live exchange must be refused");
      assertTrue(!listener.error.isDone() && !listener.end.isDone(),
          () -> "the real watch goes on: " + listener.error.getNow(null));
    } finally {
      watch.cancel("the test is done with this watch");
    }
  }

  // ---- credentials ----

  @Test
  void givenNoClientCertificate_whenControlIsCalled_thenUnauthenticatedTellingToJoin() {
    ChannelCredentials pinnedOnly = Tls.pinnedJoinCredentials(new PinnedCaTrustManager(fleet.hub().caPin()));
    ManagedChannel channel = track(Grpc.newChannelBuilderForAddress("localhost", fleet.hub().tunnelPort(), pinnedOnly)
        .build());
    CallOutcome<HubMessage> outcome = new CallOutcome<>();
    StreamObserver<AgentMessage> control = TunnelGrpc.newStub(channel).control(outcome);

    control.onNext(AgentMessage.newBuilder().setHeartbeat(Heartbeat.newBuilder().setSentAtMillis(1)).build());

    Status status = outcome.awaitStatus(CALL_TIMEOUT);
    assertEquals(Status.Code.UNAUTHENTICATED, status.getCode(), status::toString);
    assertTrue(String.valueOf(status.getDescription()).contains("outpost agent join"), status::toString);
  }

  // ---- the agent is never an open relay ----

  @ParameterizedTest(name = "[{index}] {0}")
  @ValueSource(strings = {
      "/../../etc/passwd",
      "/api/v1/../../../etc/passwd",
      "/http://127.0.0.1:1/x",
      "//evil.example/x",
      "/api/%2e%2e/%2e%2e/x",
      "/api/%2E%2E/x",
      "/api/v1/namespaces%2f..%2f..%2fx",
      "/api\\..\\..\\x",
      "relative/path"})
  void givenAHubThatBypassesTheGatewaysCheck_whenItAsksForAPathOutsideTheApiserver_thenTheAgentRefuses400(String path) {
    RecordingListener listener = new RecordingListener();

    open(VICTIM, RequestHead.newBuilder().setMethod("GET").setPath(path).build(), listener);

    Failure failure = listener.awaitError();
    assertEquals(400, failure.httpStatus(), failure::toString);
    assertTrue(failure.message().contains("is refused"), failure::toString);
    assertTrue(failure.message().contains("only paths below the member cluster's apiserver are proxied"),
        failure::toString);
    assertTrue(!listener.head.isDone(), "no response head for a refused path");
  }

  // ---- per-agent concurrency limit ----

  @Test
  void givenTheExchangeLimitHeldByTwoWatches_whenAThirdRequestArrives_then429NamingClusterAndLimitUntilReleased()
      throws Exception {
    String watchPath = "/api/v1/namespaces/default/configmaps?watch=true";
    CompletableFuture<HttpResponse<InputStream>> first = hub.openStream(VICTIM, watchPath);
    CompletableFuture<HttpResponse<InputStream>> second = hub.openStream(VICTIM, watchPath);
    List<InputStream> held = new ArrayList<>();
    try {
      held.add(first.get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).body());
      held.add(second.get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).body());
      assertEquals(200, first.join().statusCode());
      assertEquals(200, second.join().statusCode());
      Awaitility.await("two watches in flight for " + VICTIM).atMost(CALL_TIMEOUT)
          .until(() -> victimSession().exchangesInFlight() == MAX_CONCURRENT_EXCHANGES);

      HttpResponse<String> third = hub.gatewayGet(VICTIM, "/api/v1/namespaces/default/pods");

      assertEquals(429, third.statusCode(), third::body);
      assertTrue(third.body().contains("\"kind\":\"Status\""), third::body);
      assertTrue(third.body().contains("\"code\":429"), third::body);
      assertTrue(third.body().contains("cluster " + VICTIM), () -> "names the cluster: " + third.body());
      assertTrue(third.body().contains("max-concurrent-exchanges = " + MAX_CONCURRENT_EXCHANGES),
          () -> "names the limit: " + third.body());
    } finally {
      for (InputStream in : held) {
        in.close();
      }
      first.cancel(true);
      second.cancel(true);
    }

    Awaitility.await("the hub releases the watches once their clients hang up").atMost(CALL_TIMEOUT)
        .until(() -> victimSession().exchangesInFlight() == 0);
    HttpResponse<String> after = hub.gatewayGet(VICTIM, "/api/v1/namespaces/default/pods");
    assertEquals(200, after.statusCode(), () -> abbreviate(after.body()));
  }

  // ---- helpers ----

  private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  /** The Exchange method with raw bytes on the wire, so the test can send what no marshaller would. */
  private static final MethodDescriptor<byte[], byte[]> RAW_EXCHANGE = MethodDescriptor.<byte[], byte[]>newBuilder()
      .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
      .setFullMethodName(MethodDescriptor.generateFullMethodName("outpost.tunnel.v1.Tunnel", "Exchange"))
      .setRequestMarshaller(BYTES)
      .setResponseMarshaller(BYTES)
      .build();

  /** Field 1 (attach) claims 127 bytes, then a varint that never ends: no parser accepts it. */
  private static final byte[] GARBAGE = {0x0a, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
      (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01, 0x02, 0x03};

  private static CallOutcome<byte[]> sendRawExchangeFrame(byte[] frame) {
    CallOutcome<byte[]> outcome = new CallOutcome<>();
    StreamObserver<byte[]> exchange = ClientCalls.asyncBidiStreamingCall(
        channelAs(VICTIM).newCall(RAW_EXCHANGE, CallOptions.DEFAULT), outcome);
    exchange.onNext(frame);
    return outcome;
  }

  /** A channel of our own to the tunnel port, with the client certificate of a joined member. */
  private static ManagedChannel channelAs(String member) {
    AgentIdentityFiles.Identity identity = AgentIdentityFiles.load(fleet.agentDir(member)).current();
    return track(Grpc.newChannelBuilderForAddress(identity.hubHost(), identity.hubPort(), identity.credentials())
        .build());
  }

  private static ManagedChannel track(ManagedChannel channel) {
    synchronized (channels) {
      channels.add(channel);
    }
    return channel;
  }

  private static ExchangeFrame attach(String exchangeId) {
    return ExchangeFrame.newBuilder().setAttach(Attach.newBuilder().setExchangeId(exchangeId)).build();
  }

  private static AgentSession victimSession() {
    return fleet.hub().tunnel().session(VICTIM)
        .orElseThrow(() -> new AssertionError(VICTIM + " has no live session at the hub"));
  }

  /** Opens an exchange on the hub side, bypassing the gateway and its path check. */
  private static HubExchange open(String cluster, RequestHead head, RecordingListener listener) {
    AgentSession session = fleet.hub().tunnel().session(cluster)
        .orElseThrow(() -> new AssertionError(cluster + " has no live session at the hub"));
    try {
      HubExchange exchange = session.open(head, ByteString.EMPTY, listener);
      exchange.request(1_000);
      return exchange;
    } catch (Exception e) {
      throw new AssertionError("the hub refused to open an exchange to " + cluster + ": " + e.getMessage(), e);
    }
  }

  private static void assertHubStillServes(String cluster) {
    HttpResponse<String> response = hub.gatewayGet(cluster, "/api/v1/namespaces/default/pods");
    assertEquals(200, response.statusCode(),
        () -> "a GET through the gateway to " + cluster + ": " + abbreviate(response.body()));
    assertTrue(response.body().contains("\"kind\":\"Pod\""), () -> abbreviate(response.body()));
  }

  private static String abbreviate(String text) {
    return text.length() <= 600 ? text : text.substring(0, 600) + "... (" + text.length() + " chars)";
  }

  private record Failure(int httpStatus, String message) {}

  /** An exchange's response as the hub sees it. */
  private static final class RecordingListener implements ExchangeListener {
    final CompletableFuture<ResponseHead> head = new CompletableFuture<>();
    final CompletableFuture<Failure> error = new CompletableFuture<>();
    final CompletableFuture<Void> end = new CompletableFuture<>();
    private final StringBuffer body = new StringBuffer();

    @Override
    public void onHead(ResponseHead responseHead) {
      head.complete(responseHead);
    }

    @Override
    public void onChunk(ByteString chunk) {
      body.append(chunk.toString(StandardCharsets.UTF_8));
    }

    @Override
    public void onEnd() {
      end.complete(null);
    }

    @Override
    public void onError(int httpStatus, String message) {
      error.complete(new Failure(httpStatus, message));
    }

    String body() {
      return body.toString();
    }

    Failure awaitError() {
      Awaitility.await("the exchange fails").atMost(CALL_TIMEOUT).until(() -> error.isDone() || end.isDone());
      assertTrue(error.isDone(), () -> "the exchange ended normally instead of failing: head "
          + head.getNow(null) + ", body " + body);
      return error.join();
    }

    void awaitHead() {
      Awaitility.await("the response head").atMost(CALL_TIMEOUT).until(() -> head.isDone() || error.isDone());
      assertTrue(head.isDone(), () -> "the exchange failed before its head: " + error.join());
    }

    void awaitEnd() {
      Awaitility.await("the exchange ends").atMost(CALL_TIMEOUT).until(() -> error.isDone() || end.isDone());
      assertTrue(end.isDone(), () -> "the exchange failed: " + error.join());
    }
  }
}
