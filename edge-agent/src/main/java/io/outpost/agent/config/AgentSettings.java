package io.outpost.agent.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.context.annotation.Requires;
import io.micronaut.core.annotation.Nullable;
import io.outpost.tunnel.TunnelLimits;
import io.outpost.tunnel.client.Backoff;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything the agent can be told, under {@code outpost.agent.*} (environment:
 * {@code OUTPOST_AGENT_*}; command line: {@code outpost agent run --help}). The hub address and
 * identity are not settings: {@code outpost agent join} writes them into the data dir.
 */
@ConfigurationProperties(AgentSettings.PREFIX)
@Requires(property = AgentSettings.PREFIX + ".data-dir")
public class AgentSettings {

  public static final String PREFIX = "outpost.agent";
  public static final Duration DEFAULT_SUMMARY_INTERVAL = Duration.ofSeconds(15);
  public static final Duration DEFAULT_RENEW_CHECK_INTERVAL = Duration.ofMinutes(10);

  private Path dataDir;
  private Path kubeconfig;
  private Duration backoffBase = Backoff.DEFAULT_BASE;
  private Duration backoffCap = Backoff.DEFAULT_CAP;
  private Duration summaryInterval = DEFAULT_SUMMARY_INTERVAL;
  private Duration renewCheckInterval = DEFAULT_RENEW_CHECK_INTERVAL;
  private int maxMessageBytes = TunnelLimits.DEFAULT_MAX_MESSAGE_BYTES;
  private int maxConcurrentExchanges = TunnelLimits.DEFAULT_MAX_CONCURRENT_EXCHANGES;

  /** Where the join wrote the hub address, the key, the certificate and the pinned CA. Required. */
  public Path getDataDir() {
    return dataDir;
  }

  public void setDataDir(Path dataDir) {
    this.dataDir = dataDir;
  }

  /**
   * Kubeconfig of the member cluster this agent serves. Unset: in-cluster service account, then
   * {@code $KUBECONFIG} / {@code ~/.kube/config} (fabric8's usual discovery).
   */
  @Nullable
  public Path getKubeconfig() {
    return kubeconfig;
  }

  public void setKubeconfig(@Nullable Path kubeconfig) {
    this.kubeconfig = kubeconfig;
  }

  /** First reconnect wait ceiling; doubles per failed attempt (full jitter). */
  public Duration getBackoffBase() {
    return backoffBase;
  }

  public void setBackoffBase(Duration backoffBase) {
    this.backoffBase = backoffBase;
  }

  /** Largest reconnect wait ceiling (default 30 s). */
  public Duration getBackoffCap() {
    return backoffCap;
  }

  public void setBackoffCap(Duration backoffCap) {
    this.backoffCap = backoffCap;
  }

  /** How often the cluster's version, node and pod counts are refreshed for heartbeats. */
  public Duration getSummaryInterval() {
    return summaryInterval;
  }

  public void setSummaryInterval(Duration summaryInterval) {
    this.summaryInterval = summaryInterval;
  }

  /** How often the agent checks whether its certificate is due for renewal (at 2/3 of its life). */
  public Duration getRenewCheckInterval() {
    return renewCheckInterval;
  }

  public void setRenewCheckInterval(Duration renewCheckInterval) {
    this.renewCheckInterval = renewCheckInterval;
  }

  public int getMaxMessageBytes() {
    return maxMessageBytes;
  }

  public void setMaxMessageBytes(int maxMessageBytes) {
    this.maxMessageBytes = maxMessageBytes;
  }

  /** Exchanges this agent serves at once; more are refused with 429. */
  public int getMaxConcurrentExchanges() {
    return maxConcurrentExchanges;
  }

  public void setMaxConcurrentExchanges(int maxConcurrentExchanges) {
    this.maxConcurrentExchanges = maxConcurrentExchanges;
  }

  public TunnelLimits tunnelLimits() {
    return new TunnelLimits(maxMessageBytes, maxConcurrentExchanges, TunnelLimits.DEFAULT_ATTACH_TIMEOUT);
  }
}
