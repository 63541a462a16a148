package io.outpost.tunnel.client;

import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.outpost.tunnel.TunnelLimits;
import io.outpost.tunnel.proto.AgentMessage;
import io.outpost.tunnel.proto.ClusterSummary;
import io.outpost.tunnel.proto.Heartbeat;
import io.outpost.tunnel.proto.Hello;
import io.outpost.tunnel.proto.HubMessage;
import io.outpost.tunnel.proto.OpenExchange;
import io.outpost.tunnel.proto.TunnelGrpc;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent end of the reverse tunnel: dials the hub with mTLS, keeps one control stream open,
 * heartbeats, and serves each exchange the hub asks for on a stream of its own. When the link
 * breaks it reconnects with exponential backoff and full jitter, forever, until closed.
 *
 * <pre>{@code
 * TunnelClient client = new TunnelClient(settings, credentials::current, handler, summaries::latest);
 * client.start();
 * }</pre>
 */
public final class TunnelClient implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(TunnelClient.class);

  /** Connection state, as an operator would want to see it. */
  public enum State { CONNECTING, CONNECTED, BACKING_OFF, CLOSED }

  public record Settings(String hubHost, int hubPort, TunnelLimits limits, Backoff backoff, String agentVersion) {}

  /**
   * Features that talk to the hub over the tunnel's connection (devices, delivery, ...) follow it
   * here: they open their own streams on {@code channel} when the hub has welcomed the agent, and
   * stop using it when the link is lost. Called on the tunnel's timer thread: return quickly.
   */
  public interface ConnectionListener {
    void connected(Channel channel);

    void disconnected(String reason);
  }

  private final Settings settings;
  private final Supplier<ChannelCredentials> credentials;
  private final ExchangeHandler handler;
  private final Supplier<ClusterSummary> summary;
  private final ScheduledExecutorService timer;
  private final ExecutorService exchanges = Executors.newCachedThreadPool(daemon("tunnel-exchange"));
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Object lock = new Object();
  private volatile State state = State.CONNECTING;
  private volatile String lastError = "";
  private int attempt;
  private int generation;
  private ManagedChannel channel;
  /** Body chunk size of this connection's exchanges: what the hub said it takes (see Welcome). */
  private int chunkBytes = TunnelLimits.CHUNK_BYTES;
  private StreamObserver<AgentMessage> control;
  private ScheduledFuture<?> heartbeats;
  private boolean started;
  private final List<ConnectionListener> listeners = new CopyOnWriteArrayList<>();

  public TunnelClient(Settings settings, Supplier<ChannelCredentials> credentials, ExchangeHandler handler,
      Supplier<ClusterSummary> summary) {
    this.settings = settings;
    this.credentials = credentials;
    this.handler = handler;
    this.summary = summary;
    this.timer = Executors.newSingleThreadScheduledExecutor(daemon("tunnel-client"));
  }

  /** Adds a listener; one added while connected hears {@code connected} at once. */
  public void addListener(ConnectionListener listener) {
    listeners.add(listener);
    ManagedChannel current;
    synchronized (lock) {
      current = state == State.CONNECTED ? channel : null;
    }
    if (current != null) {
      timer.execute(() -> listener.connected(current));
    }
  }

  /** Starts dialing; idempotent. Returns at once — watch {@link #state()}. */
  public void start() {
    synchronized (lock) {
      if (started) {
        return;
      }
      started = true;
    }
    timer.execute(this::connect);
  }

  public State state() {
    return state;
  }

  /** Why the last connection attempt or stream failed; empty while connected. */
  public String lastError() {
    return lastError;
  }

  private void connect() {
    synchronized (lock) {
      if (state == State.CLOSED) {
        return;
      }
      state = State.CONNECTING;
      int gen = ++generation;
      try {
        channel = Grpc.newChannelBuilderForAddress(settings.hubHost(), settings.hubPort(), credentials.get())
            .maxInboundMessageSize(settings.limits().maxMessageBytes())
            .keepAliveTime(20, TimeUnit.SECONDS)
            .keepAliveTimeout(10, TimeUnit.SECONDS)
            .keepAliveWithoutCalls(true)
            .build();
        control = TunnelGrpc.newStub(channel).control(new ControlObserver(gen));
        control.onNext(AgentMessage.newBuilder().setHello(Hello.newBuilder()
            .setAgentVersion(settings.agentVersion())
            .setSummary(summary.get())).build());
      } catch (RuntimeException e) {
        lostLocked(gen, "cannot dial the hub: " + e.getMessage());
      }
    }
  }

  private void welcomed(int gen, HubMessage message) {
    synchronized (lock) {
      if (gen != generation || state == State.CLOSED) {
        return;
      }
      state = State.CONNECTED;
      lastError = "";
      chunkBytes = chunkBytes(message.getWelcome().getMaxChunkBytes());
      attempt = 0;
      long every = Math.max(50, message.getWelcome().getHeartbeatIntervalMillis());
      heartbeats = timer.scheduleAtFixedRate(() -> heartbeat(gen), every, every, TimeUnit.MILLISECONDS);
      ManagedChannel current = channel;
      timer.execute(() -> notifyListeners(gen, l -> l.connected(current)));
    }
    log.info("connected to hub {}:{} as cluster {}", settings.hubHost(), settings.hubPort(),
        message.getWelcome().getClusterName());
  }

  /** A hub older than the field advertises 0: stay at the size every hub takes. */
  static int chunkBytes(int advertised) {
    return advertised <= 0 ? TunnelLimits.CHUNK_BYTES : Math.min(advertised, TunnelLimits.MAX_CHUNK_BYTES);
  }

  private void heartbeat(int gen) {
    ClusterSummary current = summary.get();
    synchronized (lock) {
      if (gen != generation || state != State.CONNECTED) {
        return;
      }
      try {
        control.onNext(AgentMessage.newBuilder().setHeartbeat(Heartbeat.newBuilder()
            .setSummary(current).setSentAtMillis(System.currentTimeMillis())).build());
      } catch (RuntimeException e) {
        lostLocked(gen, "heartbeat failed: " + e.getMessage());
      }
    }
  }

  private void lost(int gen, String reason) {
    synchronized (lock) {
      lostLocked(gen, reason);
    }
  }

  private void lostLocked(int gen, String reason) {
    if (gen != generation || state == State.CLOSED || state == State.BACKING_OFF) {
      return;
    }
    if (heartbeats != null) {
      heartbeats.cancel(false);
    }
    if (channel != null) {
      channel.shutdownNow();
    }
    lastError = reason;
    boolean wasConnected = state == State.CONNECTED;
    state = State.BACKING_OFF;
    if (wasConnected) {
      timer.execute(() -> notifyListeners(gen, l -> l.disconnected(reason)));
    }
    Duration wait = settings.backoff().delay(attempt++);
    log.warn("tunnel to hub {}:{} lost: {}; reconnecting in {} ms (attempt {})", settings.hubHost(),
        settings.hubPort(), reason, wait.toMillis(), attempt);
    timer.schedule(this::connect, wait.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void notifyListeners(int gen, java.util.function.Consumer<ConnectionListener> event) {
    for (ConnectionListener listener : listeners) {
      try {
        event.accept(listener);
      } catch (RuntimeException e) {
        log.warn("a tunnel connection listener failed (generation {}): {}", gen, e.toString());
      }
    }
  }

  private void openExchange(OpenExchange open) {
    ManagedChannel current;
    int chunk;
    synchronized (lock) {
      current = channel;
      chunk = chunkBytes;
    }
    AgentExchange exchange = new AgentExchange(open.getExchangeId(), open.getRequest().getHasBody(),
        settings.limits().maxMessageBytes(), chunk, timer, inFlight::decrementAndGet);
    // The exchange's callbacks (window opened, request body, cancel) only hand on to the handler,
    // which must not block: run them on the transport thread rather than hop to an executor. The
    // stream stays writable while up to two chunks wait for the wire (gRPC's default is 32 KiB, less
    // than one chunk), so the handler reads the next one from the apiserver while the transport
    // encrypts and writes this one instead of pausing and resuming once per chunk. (The threshold
    // is an experimental gRPC API in 1.75: check it on upgrades.)
    TunnelGrpc.newStub(current).withExecutor(MoreExecutors.directExecutor())
        .withOnReadyThreshold(2 * chunk).exchange(exchange);
    exchange.attach();
    if (inFlight.incrementAndGet() > settings.limits().maxConcurrentExchanges()) {
      exchange.fail(429, "the agent is already serving " + (inFlight.get() - 1) + " exchanges, its limit ("
          + settings.limits().maxConcurrentExchanges() + "); retry later");
      return;
    }
    try {
      handler.handle(open.getRequest(), exchange);
    } catch (RuntimeException e) {
      exchange.fail(500, "the agent failed to serve the request: " + e);
    }
  }

  /** Closes the tunnel and stops reconnecting; idempotent. */
  @Override
  public void close() {
    boolean wasConnected;
    synchronized (lock) {
      if (state == State.CLOSED) {
        return;
      }
      wasConnected = state == State.CONNECTED;
      state = State.CLOSED;
      if (heartbeats != null) {
        heartbeats.cancel(false);
      }
      if (control != null) {
        try {
          control.onCompleted();
        } catch (RuntimeException ignored) {
          // Already broken; the channel shutdown below is what matters.
        }
      }
      if (channel != null) {
        channel.shutdownNow();
      }
    }
    if (wasConnected) {
      notifyListeners(generation, l -> l.disconnected("the agent is shutting down"));
    }
    timer.shutdownNow();
    exchanges.shutdownNow();
    try {
      if (channel != null) {
        channel.awaitTermination(2, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private final class ControlObserver implements StreamObserver<HubMessage> {
    private final int gen;

    ControlObserver(int gen) {
      this.gen = gen;
    }

    @Override
    public void onNext(HubMessage message) {
      switch (message.getBodyCase()) {
        case WELCOME -> welcomed(gen, message);
        case OPEN_EXCHANGE -> exchanges.execute(() -> openExchange(message.getOpenExchange()));
        case GOODBYE -> log.info("hub closed the tunnel: {}", message.getGoodbye().getReason());
        default -> log.warn("ignoring a control message this agent does not know: {}", message.getBodyCase());
      }
    }

    @Override
    public void onError(Throwable t) {
      Status status = Status.fromThrowable(t);
      lost(gen, status.getCode() + (status.getDescription() == null ? "" : ": " + status.getDescription())
          + (status.getCause() == null ? "" : " (" + status.getCause().getMessage() + ")"));
    }

    @Override
    public void onCompleted() {
      lost(gen, "the hub ended the control stream");
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
