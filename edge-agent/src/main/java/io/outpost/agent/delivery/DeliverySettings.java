package io.outpost.agent.delivery;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.time.Duration;

/** Settings of the agent's bundle applier ({@code outpost.agent.delivery.*}). */
@ConfigurationProperties(DeliverySettings.PREFIX)
public class DeliverySettings {

  public static final String PREFIX = "outpost.agent.delivery";
  public static final Duration DEFAULT_DRIFT_INTERVAL = Duration.ofSeconds(30);

  private Duration driftInterval = DEFAULT_DRIFT_INTERVAL;

  /** How often applied objects are compared with the desired state, online or not (default 30 s). */
  public Duration getDriftInterval() {
    return driftInterval;
  }

  public void setDriftInterval(Duration driftInterval) {
    this.driftInterval = driftInterval;
  }
}
