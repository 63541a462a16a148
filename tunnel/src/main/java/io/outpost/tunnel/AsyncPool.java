package io.outpost.tunnel;

import java.util.concurrent.CompletableFuture;

/**
 * Keeps {@link CompletableFuture}'s default executor a pool on small machines. With 2 CPUs or fewer
 * the common ForkJoinPool's parallelism is 1, and CompletableFuture then starts a new thread for
 * every async task; the JDK's HttpClient (under fabric8, so under every request the agent proxies)
 * completes each response that way. Edge boxes are exactly this case.
 *
 * <pre>{@code
 * public static void main(String[] args) {
 *   AsyncPool.keepPooled(); // first, before anything touches the common pool
 *   ...
 * }
 * }</pre>
 */
public final class AsyncPool {

  static final String PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

  private AsyncPool() {}

  /** Sets the common pool's parallelism to 2 where it would be 1 or less, unless the user chose one. */
  public static void keepPooled() {
    if (System.getProperty(PARALLELISM) == null && Runtime.getRuntime().availableProcessors() <= 2) {
      System.setProperty(PARALLELISM, "2");
    }
  }
}
