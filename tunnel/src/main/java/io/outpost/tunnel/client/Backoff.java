package io.outpost.tunnel.client;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with full jitter: attempt {@code n} waits a uniformly random time in
 * {@code [0, min(cap, base * 2^n)]}. Full jitter spreads thousands of agents that lost the hub at
 * the same instant over the whole window instead of bunching them at its edges.
 */
public final class Backoff {

  public static final Duration DEFAULT_BASE = Duration.ofMillis(250);
  public static final Duration DEFAULT_CAP = Duration.ofSeconds(30);

  private final long baseMillis;
  private final long capMillis;
  private final RandomGenerator random;

  public Backoff(Duration base, Duration cap, RandomGenerator random) {
    if (base.isNegative() || base.isZero()) {
      throw new IllegalArgumentException("base: " + base + " (expected: > 0)");
    }
    if (cap.compareTo(base) < 0) {
      throw new IllegalArgumentException("cap: " + cap + " (expected: >= base " + base + ")");
    }
    this.baseMillis = base.toMillis();
    this.capMillis = cap.toMillis();
    this.random = random;
  }

  public static Backoff defaults() {
    return new Backoff(DEFAULT_BASE, DEFAULT_CAP, RandomGenerator.getDefault());
  }

  /** The upper bound of the wait before attempt {@code attempt} (0-based). */
  public long ceilingMillis(int attempt) {
    int shift = Math.min(attempt, 30);
    long ceiling = baseMillis << shift;
    return ceiling <= 0 || ceiling > capMillis ? capMillis : ceiling;
  }

  /** A random wait before attempt {@code attempt} (0-based). */
  public Duration delay(int attempt) {
    return Duration.ofMillis(random.nextLong(ceilingMillis(attempt) + 1));
  }
}
