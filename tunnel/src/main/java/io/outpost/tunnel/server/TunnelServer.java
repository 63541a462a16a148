package io.outpost.tunnel.server;

import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.BindableService;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.outpost.tunnel.TunnelLimits;
import io.outpost.tunnel.proto.TunnelGrpc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The hub end of the reverse tunnel: a gRPC server over TLS that agents dial.
 *
 * <pre>{@code
 * TunnelServer server = new TunnelServer(TunnelServer.Settings.defaults(), credentials, gatekeeper, listener);
 * server.start();
 * server.session("edge-sh-01").ifPresent(s -> s.open(head, body, listener));
 * }</pre>
 */
public final class TunnelServer implements AutoCloseable {

  /**
   * @param bindHost address to listen on
   * @param port 0 for an OS-chosen port
   * @param heartbeatInterval how often agents are told to send a heartbeat; three missed close the session
   */
  public record Settings(String bindHost, int port, TunnelLimits limits, Duration heartbeatInterval, String hubVersion) {
    public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(5);

    public static Settings defaults() {
      return new Settings("0.0.0.0", 7443, TunnelLimits.defaults(), DEFAULT_HEARTBEAT_INTERVAL, "dev");
    }

    public Settings withPort(int port) {
      return new Settings(bindHost, port, limits, heartbeatInterval, hubVersion);
    }
  }

  private final Settings settings;
  private final ServerCredentials credentials;
  private final TunnelStats stats = new TunnelStats();
  private final ScheduledExecutorService timer;
  private final TunnelService service;
  private final AgentGatekeeper gatekeeper;
  private final List<BindableService> features;
  private Server server;

  public TunnelServer(Settings settings, ServerCredentials credentials, AgentGatekeeper gatekeeper,
      SessionListener listener) {
    this(settings, credentials, gatekeeper, listener, List.of(), Clock.systemUTC());
  }

  /**
   * @param features further gRPC services agents call over the same mTLS connection (devices,
   *     delivery, ...). Each call is admitted like the tunnel's own; inside it,
   *     {@link AgentIdentity#current()} names the calling cluster.
   */
  public TunnelServer(Settings settings, ServerCredentials credentials, AgentGatekeeper gatekeeper,
      SessionListener listener, List<BindableService> features, Clock clock) {
    this.settings = settings;
    this.features = List.copyOf(features);
    this.credentials = credentials;
    this.gatekeeper = gatekeeper;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "tunnel-timer");
      t.setDaemon(true);
      return t;
    });
    this.service = new TunnelService(gatekeeper, listener, settings.limits(), settings.heartbeatInterval(),
        settings.hubVersion(), stats, timer, clock);
  }

  /** Binds and starts serving; idempotent. */
  public synchronized TunnelServer start() {
    if (server != null) {
      return this;
    }
    IdentityInterceptor identity = new IdentityInterceptor(gatekeeper);
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(settings.bindHost(), settings.port()), credentials)
        .maxInboundMessageSize(settings.limits().maxMessageBytes())
        .permitKeepAliveTime(10, TimeUnit.SECONDS)
        .permitKeepAliveWithoutCalls(true)
        .keepAliveTime(30, TimeUnit.SECONDS)
        .keepAliveTimeout(10, TimeUnit.SECONDS)
        .callExecutor(TunnelServer::callExecutor)
        .addService(ServerInterceptors.intercept(MalformedMessages.tolerant(service.bindService()), identity));
    for (BindableService feature : features) {
      builder.addService(ServerInterceptors.intercept(feature, identity));
    }
    Server built = builder.build();
    try {
      built.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen for agents on " + settings.bindHost() + ":" + settings.port()
          + ": " + e.getMessage() + " (is another hub running? choose another --tunnel-port)", e);
    }
    server = built;
    long sweepMillis = Math.max(100, settings.heartbeatInterval().toMillis() / 2);
    timer.scheduleAtFixedRate(service::sweep, sweepMillis, sweepMillis, TimeUnit.MILLISECONDS);
    return this;
  }

  /**
   * Exchange streams run their callbacks on the transport thread: they only hand frames on
   * (to the HTTP response, or the request body to the stream), so a hop to the executor per
   * frame was pure cost. Everything else may block (the registry commits on connect) and keeps
   * the default executor.
   */
  private static Executor callExecutor(ServerCall<?, ?> call, Metadata headers) {
    return call.getMethodDescriptor().getFullMethodName().equals(TunnelGrpc.getExchangeMethod().getFullMethodName())
        ? MoreExecutors.directExecutor() : null;
  }

  public int port() {
    return server.getPort();
  }

  public TunnelStats stats() {
    return stats;
  }

  public Optional<AgentSession> session(String clusterName) {
    return Optional.ofNullable(service.sessions.get(clusterName));
  }

  public Collection<AgentSession> sessions() {
    return List.copyOf(service.sessions.values());
  }

  /** Drops a cluster's live session, e.g. when the cluster is deleted from the registry. */
  public void disconnect(String clusterName, String reason) {
    session(clusterName).ifPresent(s -> service.end(s, reason, true));
  }

  /** Stops accepting agents, closes every session, waits briefly for calls to drain; idempotent. */
  @Override
  public synchronized void close() {
    if (server == null) {
      timer.shutdownNow();
      return;
    }
    service.closeAll("the hub is shutting down");
    server.shutdown();
    try {
      if (!server.awaitTermination(3, TimeUnit.SECONDS)) {
        server.shutdownNow();
        server.awaitTermination(2, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    } finally {
      timer.shutdownNow();
      server = null;
    }
  }
}
