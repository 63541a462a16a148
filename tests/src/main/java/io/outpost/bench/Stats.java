package io.outpost.bench;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Latency samples recorded by many threads, and their percentiles.
 *
 * <p>Every sample is kept (a few tens of thousands of longs) and sorted once, so percentiles are
 * exact nearest-rank values rather than the bucketed approximations of a histogram.
 */
final class Stats {

  private final long[] nanos;
  private final AtomicInteger count = new AtomicInteger();
  private final AtomicInteger failures = new AtomicInteger();
  private final AtomicReference<String> firstFailure = new AtomicReference<>();

  Stats(int capacity) {
    this.nanos = new long[capacity];
  }

  void add(long sampleNanos) {
    int i = count.getAndIncrement();
    if (i < nanos.length) {
      nanos[i] = sampleNanos;
    }
  }

  void fail(Throwable error) {
    failures.incrementAndGet();
    firstFailure.compareAndSet(null, String.valueOf(error));
  }

  int failures() {
    return failures.get();
  }

  /** The first failure's message, or "" when there was none. */
  String firstFailure() {
    String f = firstFailure.get();
    return f == null ? "" : f;
  }

  Summary summary() {
    int n = Math.min(count.get(), nanos.length);
    long[] sorted = Arrays.copyOf(nanos, n);
    Arrays.sort(sorted);
    return new Summary(n, rank(sorted, 0.50), rank(sorted, 0.90), rank(sorted, 0.99),
        n == 0 ? Double.NaN : sorted[n - 1] / 1e6);
  }

  /** Nearest-rank percentile in milliseconds. */
  private static double rank(long[] sorted, double q) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int index = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, index)] / 1e6;
  }

  /** Percentiles and maximum, in milliseconds. */
  record Summary(int n, double p50, double p90, double p99, double max) {}

  /** The median of a few per-run values (the mean of the middle two for an even count). */
  static double median(double... values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int mid = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }
}
