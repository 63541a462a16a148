package io.outpost.hub.delivery;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.time.Duration;

/** Settings of GitOps delivery at the hub ({@code outpost.hub.delivery.*}). */
@ConfigurationProperties(DeliverySettings.PREFIX)
public class DeliverySettings {

  public static final String PREFIX = "outpost.hub.delivery";
  public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(60);
  public static final Duration DEFAULT_TICK_INTERVAL = Duration.ofMillis(250);
  public static final Duration DEFAULT_FETCH_TIMEOUT = Duration.ofSeconds(30);

  private Duration pollInterval = DEFAULT_POLL_INTERVAL;
  private Duration tickInterval = DEFAULT_TICK_INTERVAL;
  private Duration fetchTimeout = DEFAULT_FETCH_TIMEOUT;

  /** How often a source is fetched when it does not set its own interval (default 60 s). */
  public Duration getPollInterval() {
    return pollInterval;
  }

  public void setPollInterval(Duration pollInterval) {
    this.pollInterval = pollInterval;
  }

  /** How often rollouts re-check targets, waves and thresholds (default 250 ms). */
  public Duration getTickInterval() {
    return tickInterval;
  }

  public void setTickInterval(Duration tickInterval) {
    this.tickInterval = tickInterval;
  }

  /** Network timeout of one fetch (default 30 s). */
  public Duration getFetchTimeout() {
    return fetchTimeout;
  }

  public void setFetchTimeout(Duration fetchTimeout) {
    this.fetchTimeout = fetchTimeout;
  }
}
