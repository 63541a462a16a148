package io.outpost.hub.devices;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.context.annotation.Requires;
import io.outpost.hub.config.HubSettings;

/** Device registry settings, under {@code outpost.hub.devices.*}. */
@ConfigurationProperties(HubDevicesSettings.PREFIX)
@Requires(property = HubSettings.PREFIX + ".data-dir")
public class HubDevicesSettings {

  public static final String PREFIX = "outpost.hub.devices";
  public static final int DEFAULT_KEEP_MESSAGES = 100;
  public static final int DEFAULT_MAX_DESIRED_BYTES = 64 * 1024;

  private int keepMessages = DEFAULT_KEEP_MESSAGES;
  private int maxDesiredBytes = DEFAULT_MAX_DESIRED_BYTES;

  /** How many of each device's latest messages the hub keeps (default 100). */
  public int getKeepMessages() {
    return keepMessages;
  }

  public void setKeepMessages(int keepMessages) {
    this.keepMessages = keepMessages;
  }

  /** Largest desired state accepted by the API (default 64 KiB). */
  public int getMaxDesiredBytes() {
    return maxDesiredBytes;
  }

  public void setMaxDesiredBytes(int maxDesiredBytes) {
    this.maxDesiredBytes = maxDesiredBytes;
  }
}
