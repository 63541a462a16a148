package io.outpost.tunnel;

import java.util.concurrent.CompletableFuture;

/**
 * JVM-wide settings that Outpost's processes need and that must be in place before the JDK reads
 * them. Each is applied only where the user has not chosen a value.
 *
 * <ul>
 *   <li>{@link CompletableFuture}'s default executor stays a pool on small machines. With 2 CPUs or
 *       fewer the common ForkJoinPool's parallelism is 1, and CompletableFuture then starts a new
 *       thread for every async task; the JDK's HttpClient (under fabric8, so under every request
 *       the agent proxies) completes each response that way. Edge boxes are exactly this case.
 *   <li>The JDK HttpClient reads the socket in 64 KiB buffers instead of 16 KiB. The agent forwards
 *       what its apiserver client hands it as tunnel chunks: one 16 KiB buffer per read made four
 *       times as many tunnel messages, HTTP chunks and TLS flushes per byte of a large LIST. A
 *       trickle (a watch event) still arrives as soon as it is read, in a buffer of its own size.
 * </ul>
 *
 * <pre>{@code
 * public static void main(String[] args) {
 *   JvmDefaults.apply(); // first, before anything touches the common pool or an HttpClient
 *   ...
 * }
 * }</pre>
 */
public final class JvmDefaults {

  static final String PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";
  static final String HTTP_CLIENT_BUFFER = "jdk.httpclient.bufsize";
  static final int HTTP_CLIENT_BUFFER_BYTES = 64 * 1024;

  private JvmDefaults() {}

  /** Applies every default the user has not overridden with its {@code -D} property. */
  public static void apply() {
    if (System.getProperty(PARALLELISM) == null && Runtime.getRuntime().availableProcessors() <= 2) {
      System.setProperty(PARALLELISM, "2");
    }
    if (System.getProperty(HTTP_CLIENT_BUFFER) == null) {
      System.setProperty(HTTP_CLIENT_BUFFER, String.valueOf(HTTP_CLIENT_BUFFER_BYTES));
    }
  }
}
