package io.outpost.tunnel.server;

import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.outpost.tunnel.TunnelLimits;
import io.outpost.tunnel.proto.AgentMessage;
import io.outpost.tunnel.proto.ExchangeFrame;
import io.outpost.tunnel.proto.HubMessage;
import io.outpost.tunnel.proto.JoinRequest;
import io.outpost.tunnel.proto.JoinResponse;
import io.outpost.tunnel.proto.RenewRequest;
import io.outpost.tunnel.proto.RenewResponse;
import io.outpost.tunnel.proto.TunnelGrpc;
import io.outpost.tunnel.proto.Welcome;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The gRPC service of the hub end. Keeps the live sessions, one per cluster name. */
final class TunnelService extends TunnelGrpc.TunnelImplBase {

  private static final Logger log = LoggerFactory.getLogger(TunnelService.class);

  private final AgentGatekeeper gatekeeper;
  private final SessionListener listener;
  private final TunnelLimits limits;
  private final Duration heartbeatInterval;
  private final String hubVersion;
  private final TunnelStats stats;
  private final ScheduledExecutorService timer;
  private final Clock clock;
  final Map<String, AgentSession> sessions = new ConcurrentHashMap<>();

  TunnelService(
      AgentGatekeeper gatekeeper,
      SessionListener listener,
      TunnelLimits limits,
      Duration heartbeatInterval,
      String hubVersion,
      TunnelStats stats,
      ScheduledExecutorService timer,
      Clock clock) {
    this.gatekeeper = gatekeeper;
    this.listener = listener;
    this.limits = limits;
    this.heartbeatInterval = heartbeatInterval;
    this.hubVersion = hubVersion;
    this.stats = stats;
    this.timer = timer;
    this.clock = clock;
  }

  @Override
  public void join(JoinRequest request, StreamObserver<JoinResponse> response) {
    if (refuseMalformed(request, "join request", response)) {
      return;
    }
    try {
      response.onNext(gatekeeper.join(request));
      response.onCompleted();
    } catch (StatusException e) {
      log.warn("join refused for cluster '{}': {}", request.getClusterName(), e.getStatus().getDescription());
      response.onError(e);
    }
  }

  @Override
  public void renew(RenewRequest request, StreamObserver<RenewResponse> response) {
    AgentIdentity identity = IdentityInterceptor.IDENTITY.get();
    if (refuseMalformed(request, "renewal request from cluster " + identity.clusterName(), response)) {
      return;
    }
    try {
      String pem = gatekeeper.renew(identity, request.getCsrDer().toByteArray());
      response.onNext(RenewResponse.newBuilder().setCertificatePem(pem).build());
      response.onCompleted();
    } catch (StatusException e) {
      response.onError(e);
    }
  }

  private boolean refuseMalformed(com.google.protobuf.Message request, String what, StreamObserver<?> response) {
    Optional<String> malformed = MalformedMessages.reason(request);
    malformed.ifPresent(why -> {
      stats.protocolErrors.incrementAndGet();
      response.onError(Status.INVALID_ARGUMENT.withDescription("malformed " + what + ": " + why).asRuntimeException());
    });
    return malformed.isPresent();
  }

  @Override
  public StreamObserver<AgentMessage> control(StreamObserver<HubMessage> responseObserver) {
    AgentIdentity identity = IdentityInterceptor.IDENTITY.get();
    ServerCallStreamObserver<HubMessage> out = (ServerCallStreamObserver<HubMessage>) responseObserver;
    return new ControlStream(identity, out);
  }

  @Override
  public StreamObserver<ExchangeFrame> exchange(StreamObserver<ExchangeFrame> responseObserver) {
    AgentIdentity identity = IdentityInterceptor.IDENTITY.get();
    ServerCallStreamObserver<ExchangeFrame> out = (ServerCallStreamObserver<ExchangeFrame>) responseObserver;
    // Inbound frames are pulled as the consumer of the response asks: that is the backpressure.
    out.disableAutoRequest();
    out.request(1);
    return new ExchangeStream(identity, out);
  }

  /** Closes sessions whose agent has missed three heartbeats (a half-open link). */
  void sweep() {
    long limit = heartbeatInterval.toMillis() * 3;
    for (AgentSession session : sessions.values()) {
      long silent = clock.millis() - session.lastHeartbeat().toEpochMilli();
      if (silent > limit) {
        end(session, "no heartbeat for " + silent + " ms (3 missed)", true);
      }
    }
  }

  void closeAll(String reason) {
    for (AgentSession session : sessions.values()) {
      end(session, reason, true);
    }
  }

  void end(AgentSession session, String reason, boolean closeStream) {
    if (sessions.remove(session.clusterName(), session)) {
      log.info("cluster {} disconnected: {}", session.clusterName(), reason);
      session.close(reason, closeStream);
      listener.disconnected(session, reason);
    } else {
      session.close(reason, closeStream);
    }
  }

  private final class ControlStream implements StreamObserver<AgentMessage> {
    private final AgentIdentity identity;
    private final ServerCallStreamObserver<HubMessage> out;
    private AgentSession session;

    ControlStream(AgentIdentity identity, ServerCallStreamObserver<HubMessage> out) {
      this.identity = identity;
      this.out = out;
    }

    @Override
    public void onNext(AgentMessage message) {
      Optional<String> malformed = MalformedMessages.reason(message);
      if (malformed.isPresent()) {
        reject("a message that is not valid protobuf (" + malformed.get() + ")");
        return;
      }
      switch (message.getBodyCase()) {
        case HELLO -> {
          if (session != null) {
            reject("a second hello on one control stream");
            return;
          }
          session = new AgentSession(identity, message.getHello(), out, limits, stats, timer, clock);
          AgentSession previous = sessions.put(identity.clusterName(), session);
          if (previous != null) {
            previous.close("replaced by a newer connection of the same agent", true);
          }
          session.send(HubMessage.newBuilder().setWelcome(Welcome.newBuilder()
              .setClusterName(identity.clusterName())
              .setHeartbeatIntervalMillis(heartbeatInterval.toMillis())
              .setMaxChunkBytes(limits.chunkBytes())
              .setHubVersion(hubVersion)).build());
          log.info("cluster {} connected (agent {})", identity.clusterName(), message.getHello().getAgentVersion());
          listener.connected(session, message.getHello());
        }
        case HEARTBEAT -> {
          if (session == null) {
            reject("a heartbeat before hello");
            return;
          }
          session.heartbeat();
          listener.heartbeat(session, message.getHeartbeat());
        }
        default -> reject("a control message with no known body (is the agent newer than the hub?)");
      }
    }

    private void reject(String what) {
      stats.protocolErrors.incrementAndGet();
      String reason = "malformed control stream from cluster " + identity.clusterName() + ": " + what;
      if (session != null) {
        end(session, reason, false);
      }
      out.onError(Status.INVALID_ARGUMENT.withDescription(reason).asRuntimeException());
    }

    @Override
    public void onError(Throwable t) {
      if (session != null) {
        end(session, "control stream failed: " + Status.fromThrowable(t), false);
      }
    }

    @Override
    public void onCompleted() {
      if (session != null) {
        end(session, "the agent closed its control stream", false);
      }
      out.onCompleted();
    }
  }

  private final class ExchangeStream implements StreamObserver<ExchangeFrame> {
    private final AgentIdentity identity;
    private final ServerCallStreamObserver<ExchangeFrame> out;
    private HubExchange exchange;
    private boolean rejected;

    ExchangeStream(AgentIdentity identity, ServerCallStreamObserver<ExchangeFrame> out) {
      this.identity = identity;
      this.out = out;
      out.setOnCancelHandler(() -> {
        if (exchange != null) {
          exchange.streamEnded("the agent cancelled the stream");
        }
      });
    }

    @Override
    public void onNext(ExchangeFrame frame) {
      if (rejected) {
        return;
      }
      Optional<String> malformed = MalformedMessages.reason(frame);
      if (malformed.isPresent()) {
        String reason = "malformed exchange frame from cluster " + identity.clusterName()
            + ": not valid protobuf (" + malformed.get() + ")";
        if (exchange == null) {
          reject(Status.INVALID_ARGUMENT, reason);
        } else {
          // The exchange closes the stream and tells the HTTP client; count it like any rejection.
          rejected = true;
          stats.protocolErrors.incrementAndGet();
          exchange.fail(502, reason);
        }
        return;
      }
      if (exchange != null) {
        exchange.onFrame(frame);
        return;
      }
      if (!frame.hasAttach()) {
        reject(Status.INVALID_ARGUMENT, "the first frame of an exchange stream must be attach, got "
            + frame.getBodyCase());
        return;
      }
      AgentSession session = sessions.get(identity.clusterName());
      HubExchange found = session == null ? null : session.exchange(frame.getAttach().getExchangeId());
      if (found == null) {
        reject(Status.NOT_FOUND, "no exchange " + frame.getAttach().getExchangeId()
            + " is waiting for cluster " + identity.clusterName() + " (it may have timed out or been cancelled)");
        return;
      }
      if (found.attached(out)) {
        exchange = found;
      } else {
        rejected = true;
        stats.protocolErrors.incrementAndGet();
      }
    }

    private void reject(Status status, String description) {
      rejected = true;
      stats.protocolErrors.incrementAndGet();
      out.onError(status.withDescription(description).asRuntimeException());
    }

    @Override
    public void onError(Throwable t) {
      if (exchange != null) {
        exchange.streamEnded(String.valueOf(Status.fromThrowable(t).getDescription()));
      }
    }

    @Override
    public void onCompleted() {
      if (exchange != null) {
        exchange.streamEnded("the agent closed the stream without an end frame");
      }
    }
  }
}
