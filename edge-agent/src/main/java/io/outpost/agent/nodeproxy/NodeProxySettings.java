package io.outpost.agent.nodeproxy;

import java.util.Objects;
import java.util.Optional;

/**
 * How the node proxy listens, whom it caches and how it decides upstream health.
 *
 * <pre>{@code
 * NodeProxySettings settings = NodeProxySettings.defaults()
 *     .withPort(0)
 *     .withTls(new NodeProxyTls(cert, key, Optional.of(clientCa)))
 *     .withAllowlist(ClientAllowlist.of(List.of("kubelet", "kube-proxy")));
 * }</pre>
 *
 * @param host listen address; default {@value #DEFAULT_HOST} (loopback only: the proxy forwards with
 *     the agent's own credentials, so it must not be reachable off the node)
 * @param port listen port; default {@value #DEFAULT_PORT}; 0 picks a free one
 * @param health probe interval, timeout and thresholds (see {@link UpstreamHealth.Settings#defaults()})
 * @param retryAfterSeconds the {@code Retry-After} of writes refused during an outage; default
 *     {@value #DEFAULT_RETRY_AFTER_SECONDS}
 * @param maxRecordedBodyBytes GET/LIST answers larger than this are forwarded complete but not
 *     cached; default {@link #defaultMaxRecordedBodyBytes()}: 1/16 of the JVM's max heap
 * @param tls serve HTTPS with this certificate (and verify client certificates against its client
 *     CA) instead of plain HTTP; default none
 * @param allowlist which client identities are cached; default all
 */
public record NodeProxySettings(String host, int port, UpstreamHealth.Settings health, int retryAfterSeconds,
                                int maxRecordedBodyBytes, Optional<NodeProxyTls> tls, ClientAllowlist allowlist) {

  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 10261;
  public static final int DEFAULT_RETRY_AFTER_SECONDS = 5;
  /** Whatever the heap, answers above 64 MiB are not cached. */
  public static final int MAX_RECORDED_BODY_BYTES_CEILING = 64 << 20;
  /** Whatever the heap, answers up to 1 MiB are cached. */
  public static final int MAX_RECORDED_BODY_BYTES_FLOOR = 1 << 20;

  public NodeProxySettings {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(health, "health");
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(allowlist, "allowlist");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 0..65535)");
    }
    if (retryAfterSeconds < 1) {
      throw new IllegalArgumentException("retryAfterSeconds: " + retryAfterSeconds + " (expected: >= 1)");
    }
    if (maxRecordedBodyBytes < 0) {
      throw new IllegalArgumentException("maxRecordedBodyBytes: " + maxRecordedBodyBytes + " (expected: >= 0)");
    }
  }

  public static NodeProxySettings defaults() {
    return new NodeProxySettings(DEFAULT_HOST, DEFAULT_PORT, UpstreamHealth.Settings.defaults(),
        DEFAULT_RETRY_AFTER_SECONDS, defaultMaxRecordedBodyBytes(), Optional.empty(), ClientAllowlist.ALL);
  }

  /**
   * The largest answer this JVM's heap can record safely: 1/16 of {@link Runtime#maxMemory()},
   * between {@value #MAX_RECORDED_BODY_BYTES_FLOOR} and {@value #MAX_RECORDED_BODY_BYTES_CEILING}
   * bytes (about 8 MiB with the launchers' {@code -Xmx128m}). Recording a LIST takes about 8-10 times its
   * size in transient heap (the answer, its items, their encoded entries and MapDB's in-memory
   * write-ahead log and page copies of the one transaction that replaces the list; BENCHMARKS.md
   * §4), next to the 30-40 MiB the cache's index and hot JSON keep; a larger answer is forwarded
   * uncached instead of running the proxy out of memory.
   */
  public static int defaultMaxRecordedBodyBytes() {
    long sixteenth = Runtime.getRuntime().maxMemory() / 16;
    return (int) Math.max(MAX_RECORDED_BODY_BYTES_FLOOR, Math.min(MAX_RECORDED_BODY_BYTES_CEILING, sixteenth));
  }

  public NodeProxySettings withListen(String host, int port) {
    return new NodeProxySettings(host, port, health, retryAfterSeconds, maxRecordedBodyBytes, tls, allowlist);
  }

  public NodeProxySettings withPort(int port) {
    return withListen(host, port);
  }

  public NodeProxySettings withHealth(UpstreamHealth.Settings health) {
    return new NodeProxySettings(host, port, health, retryAfterSeconds, maxRecordedBodyBytes, tls, allowlist);
  }

  public NodeProxySettings withRetryAfterSeconds(int seconds) {
    return new NodeProxySettings(host, port, health, seconds, maxRecordedBodyBytes, tls, allowlist);
  }

  public NodeProxySettings withTls(NodeProxyTls tls) {
    return new NodeProxySettings(host, port, health, retryAfterSeconds, maxRecordedBodyBytes, Optional.of(tls),
        allowlist);
  }

  public NodeProxySettings withMaxRecordedBodyBytes(int maxRecordedBodyBytes) {
    return new NodeProxySettings(host, port, health, retryAfterSeconds, maxRecordedBodyBytes, tls, allowlist);
  }

  public NodeProxySettings withAllowlist(ClientAllowlist allowlist) {
    return new NodeProxySettings(host, port, health, retryAfterSeconds, maxRecordedBodyBytes, tls, allowlist);
  }

  /** {@code http} or {@code https}. */
  public String scheme() {
    return tls.isPresent() ? "https" : "http";
  }
}
