package io.outpost.agent.nodeproxy;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the API server is reachable: active probes every {@link Settings#probeInterval()} (each
 * bounded by {@link Settings#timeout()}), plus passive failures reported by forwarded requests.
 * {@link Settings#failureThreshold()} consecutive failures mark it unhealthy,
 * {@link Settings#successThreshold()} consecutive probe successes mark it healthy again. Starts
 * healthy (a request that then fails to connect is answered from the cache anyway).
 *
 * <p>With the defaults (1 s interval, 1 s timeout, 3 failures, 2 successes) an outage is detected
 * within about 3 s (sooner when forwarded requests fail too) and the return within about 2 s.
 *
 * <pre>{@code
 * UpstreamHealth health = new UpstreamHealth(UpstreamHealth.Settings.defaults(), prober);
 * health.onChange(healthy -> log.info("upstream healthy: {}", healthy));
 * health.start();
 * }</pre>
 */
public final class UpstreamHealth implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(UpstreamHealth.class);

  /**
   * @param probeInterval time between active probes; default {@link #DEFAULT_PROBE_INTERVAL}
   * @param timeout how long a probe may take before it counts as a failure; default {@link #DEFAULT_TIMEOUT}
   * @param failureThreshold consecutive failures that mark the upstream unhealthy; default 3
   * @param successThreshold consecutive probe successes that mark it healthy again; default 2
   */
  public record Settings(Duration probeInterval, Duration timeout, int failureThreshold, int successThreshold) {

    public static final Duration DEFAULT_PROBE_INTERVAL = Duration.ofSeconds(1);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);
    public static final int DEFAULT_FAILURE_THRESHOLD = 3;
    public static final int DEFAULT_SUCCESS_THRESHOLD = 2;

    public Settings {
      positive("probeInterval", probeInterval);
      positive("timeout", timeout);
      if (failureThreshold < 1) {
        throw new IllegalArgumentException("failureThreshold: " + failureThreshold + " (expected: >= 1)");
      }
      if (successThreshold < 1) {
        throw new IllegalArgumentException("successThreshold: " + successThreshold + " (expected: >= 1)");
      }
    }

    public static Settings defaults() {
      return new Settings(DEFAULT_PROBE_INTERVAL, DEFAULT_TIMEOUT, DEFAULT_FAILURE_THRESHOLD,
          DEFAULT_SUCCESS_THRESHOLD);
    }

    private static void positive(String name, Duration value) {
      Objects.requireNonNull(value, name);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
      }
    }
  }

  private final Settings settings;
  private final Supplier<CompletableFuture<Boolean>> prober;
  private final List<Consumer<Boolean>> listeners = new CopyOnWriteArrayList<>();
  private final AtomicBoolean started = new AtomicBoolean();
  private ScheduledExecutorService scheduler;

  private boolean healthy = true;
  private int failures;
  private int successes;
  private long outages;

  /**
   * @param prober starts one probe; completes {@code true} when the API server answered well,
   *     {@code false} or exceptionally otherwise
   */
  public UpstreamHealth(Settings settings, Supplier<CompletableFuture<Boolean>> prober) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.prober = Objects.requireNonNull(prober, "prober");
  }

  /** Starts probing. Idempotent. */
  public UpstreamHealth start() {
    if (started.compareAndSet(false, true)) {
      scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "node-proxy-health");
        t.setDaemon(true);
        return t;
      });
      scheduler.scheduleWithFixedDelay(this::probeOnce, 0, settings.probeInterval().toMillis(),
          TimeUnit.MILLISECONDS);
    }
    return this;
  }

  private void probeOnce() {
    boolean ok;
    try {
      ok = prober.get().get(settings.timeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    } catch (Exception e) {
      ok = false;
    }
    if (ok) {
      recordSuccess();
    } else {
      recordFailure("probe failed");
    }
  }

  /** Calls {@code listener} with the new state on every transition (on the reporting thread). */
  public void onChange(Consumer<Boolean> listener) {
    listeners.add(listener);
  }

  public synchronized boolean isHealthy() {
    return healthy;
  }

  /** Outages since start: transitions from healthy to unhealthy. */
  public synchronized long outages() {
    return outages;
  }

  /** A probe succeeded. */
  public void recordSuccess() {
    boolean changed;
    synchronized (this) {
      failures = 0;
      successes++;
      changed = !healthy && successes >= settings.successThreshold();
      if (changed) {
        healthy = true;
      }
    }
    if (changed) {
      log.info("API server is reachable again after {} consecutive successful probes; forwarding resumes",
          settings.successThreshold());
      notifyListeners(true);
    }
  }

  /** A probe or a forwarded request failed to reach the API server. */
  public void recordFailure(String why) {
    boolean changed;
    synchronized (this) {
      successes = 0;
      failures++;
      changed = healthy && failures >= settings.failureThreshold();
      if (changed) {
        healthy = false;
        outages++;
      }
    }
    if (changed) {
      log.warn("API server unreachable ({} consecutive failures, last: {}); answering node components from"
          + " the cache", settings.failureThreshold(), why);
      notifyListeners(false);
    }
  }

  private void notifyListeners(boolean state) {
    for (Consumer<Boolean> listener : listeners) {
      try {
        listener.accept(state);
      } catch (RuntimeException e) {
        log.warn("health listener failed", e);
      }
    }
  }

  /** Stops probing. Idempotent. */
  @Override
  public void close() {
    ScheduledExecutorService s = scheduler;
    if (s != null) {
      s.shutdownNow();
      try {
        s.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
