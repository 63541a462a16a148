package io.outpost.tunnel.client;

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
  private StreamObserver<AgentMessage> control;
  private ScheduledFuture<?> heartbeats;
  private boolean started;

  public TunnelClient(Settings settings, Supplier<ChannelCredentials> credentials, ExchangeHandler handler,
      Supplier<ClusterSummary> summary) {
    this.settings = settings;
    this.credentials = credentials;
    this.handler = handler;
    this.summary = summary;
    this.timer = Executors.newSingleThreadScheduledExecutor(daemon("tunnel-client"));
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
      attempt = 0;
      long every = Math.max(50, message.getWelcome().getHeartbeatIntervalMillis());
      heartbeats = timer.scheduleAtFixedRate(() -> heartbeat(gen), every, every, TimeUnit.MILLISECONDS);
    }
    log.info("connected to hub {}:{} as cluster {}", settings.hubHost(), settings.hubPort(),
        message.getWelcome().getClusterName());
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
    state = State.BACKING_OFF;
    Duration wait = settings.backoff().delay(attempt++);
    log.warn("tunnel to hub {}:{} lost: {}; reconnecting in {} ms (attempt {})", settings.hubHost(),
        settings.hubPort(), reason, wait.toMillis(), attempt);
    timer.schedule(this::connect, wait.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void openExchange(OpenExchange open) {
    AgentExchange exchange = new AgentExchange(open.getExchangeId(), open.getRequest().getHasBody(),
        settings.limits().maxMessageBytes(), inFlight::decrementAndGet);
    ManagedChannel current;
    synchronized (lock) {
      current = channel;
    }
    TunnelGrpc.newStub(current).exchange(exchange);
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
    synchronized (lock) {
      if (state == State.CLOSED) {
        return;
      }
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
