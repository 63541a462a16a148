package io.outpost.tunnel.server;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.outpost.tunnel.TunnelLimits;
import io.outpost.tunnel.proto.Goodbye;
import io.outpost.tunnel.proto.Hello;
import io.outpost.tunnel.proto.HubMessage;
import io.outpost.tunnel.proto.OpenExchange;
import io.outpost.tunnel.proto.RequestHead;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One connected agent: its control stream and the exchanges it is serving. The hub asks for an
 * exchange over the control stream; the agent answers by opening a dedicated Exchange stream.
 */
public final class AgentSession {

  private final AgentIdentity identity;
  private final Hello hello;
  private final ServerCallStreamObserver<HubMessage> control;
  private final TunnelLimits limits;
  private final TunnelStats stats;
  private final ScheduledExecutorService timer;
  private final Clock clock;
  private final Map<String, HubExchange> exchanges = new ConcurrentHashMap<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Instant connectedAt;
  private volatile Instant lastHeartbeat;

  AgentSession(
      AgentIdentity identity,
      Hello hello,
      ServerCallStreamObserver<HubMessage> control,
      TunnelLimits limits,
      TunnelStats stats,
      ScheduledExecutorService timer,
      Clock clock) {
    this.identity = identity;
    this.hello = hello;
    this.control = control;
    this.limits = limits;
    this.stats = stats;
    this.timer = timer;
    this.clock = clock;
    this.connectedAt = clock.instant();
    this.lastHeartbeat = connectedAt;
  }

  public String clusterName() {
    return identity.clusterName();
  }

  public AgentIdentity identity() {
    return identity;
  }

  public Hello hello() {
    return hello;
  }

  public Instant connectedAt() {
    return connectedAt;
  }

  public Instant lastHeartbeat() {
    return lastHeartbeat;
  }

  public int exchangesInFlight() {
    return exchanges.size();
  }

  public boolean isOpen() {
    return !closed.get();
  }

  /**
   * Starts an exchange: the request goes to the agent, the response comes back to {@code
   * listener}. The body (may be empty) is sent once the agent has opened the exchange's stream.
   *
   * @throws ExchangeRejectedException 503 when the agent is gone, 429 over the concurrency limit
   */
  public HubExchange open(RequestHead head, ByteString body, ExchangeListener listener)
      throws ExchangeRejectedException {
    if (closed.get()) {
      throw new ExchangeRejectedException(503, "cluster " + clusterName() + " is offline: its agent disconnected");
    }
    String id = UUID.randomUUID().toString();
    HubExchange exchange = new HubExchange(id, clusterName(), head, body, listener, stats, this::release);
    synchronized (exchanges) {
      if (exchanges.size() >= limits.maxConcurrentExchanges()) {
        throw new ExchangeRejectedException(429, "cluster " + clusterName() + " already has "
            + exchanges.size() + " requests in flight, the limit per agent"
            + " (max-concurrent-exchanges = " + limits.maxConcurrentExchanges()
            + "); retry later or raise the limit");
      }
      exchanges.put(id, exchange);
    }
    stats.exchangesStarted.incrementAndGet();
    stats.exchangesInFlight.incrementAndGet();
    exchange.attachDeadline(timer.schedule(
        () -> exchange.fail(504, "cluster " + clusterName() + " did not open the exchange within "
            + limits.attachTimeout().toMillis() + " ms; its agent may be overloaded or its link degraded"),
        limits.attachTimeout().toMillis(), TimeUnit.MILLISECONDS));
    try {
      send(HubMessage.newBuilder()
          .setOpenExchange(OpenExchange.newBuilder().setExchangeId(id).setRequest(head))
          .build());
    } catch (RuntimeException e) {
      exchange.fail(503, "cluster " + clusterName() + " is offline: sending to its agent failed (" + e.getMessage() + ")");
    }
    return exchange;
  }

  HubExchange exchange(String id) {
    return exchanges.get(id);
  }

  void heartbeat() {
    lastHeartbeat = clock.instant();
  }

  void send(HubMessage message) {
    synchronized (control) {
      control.onNext(message);
    }
  }

  /** Ends the session: every exchange still in flight fails with 503, the stream is closed. */
  void close(String reason, boolean closeStream) {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (HubExchange exchange : List.copyOf(exchanges.values())) {
      exchange.fail(503, "cluster " + clusterName() + " went offline during the request: " + reason);
    }
    if (closeStream) {
      synchronized (control) {
        try {
          control.onNext(HubMessage.newBuilder().setGoodbye(Goodbye.newBuilder().setReason(reason)).build());
          control.onError(Status.UNAVAILABLE.withDescription(reason).asRuntimeException());
        } catch (RuntimeException ignored) {
          // The stream is already gone; nothing left to tell the agent.
        }
      }
    }
  }

  private void release(HubExchange exchange) {
    if (exchanges.remove(exchange.id()) != null) {
      stats.exchangesInFlight.decrementAndGet();
    }
  }
}
