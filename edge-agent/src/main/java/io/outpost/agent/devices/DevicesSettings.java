package io.outpost.agent.devices;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.context.annotation.Requires;
import io.micronaut.core.annotation.Nullable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The devices bridge, under {@code outpost.agent.devices.*}. Off unless {@code enabled=true}
 * ({@code outpost agent run --devices}). Without {@code broker-url} the agent starts an embedded
 * broker on {@code embedded-host:embedded-port}.
 */
@ConfigurationProperties(DevicesSettings.PREFIX)
@Requires(property = DevicesSettings.PREFIX + ".enabled", value = "true")
public class DevicesSettings {

  public static final String PREFIX = "outpost.agent.devices";
  public static final List<String> DEFAULT_UP_TOPICS = List.of("devices/+/telemetry", "devices/+/state");
  public static final String DEFAULT_DESIRED_TOPIC = "devices/{id}/desired";
  public static final int DEFAULT_EMBEDDED_PORT = 1883;
  public static final int DEFAULT_MAX_PAYLOAD_BYTES = 256 * 1024;
  public static final long DEFAULT_QUEUE_MAX_BYTES = 256L << 20;
  public static final long DEFAULT_EMBEDDED_MAX_QUEUED = 1_000_000;
  public static final List<String> DEFAULT_EMBEDDED_JVM_OPTIONS =
      List.of("-Xmx256m", "-Xss512k", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError");
  public static final int DEFAULT_BATCH_SIZE = 1000;

  private boolean enabled;
  private String brokerUrl;
  private String embeddedHost = "0.0.0.0";
  private int embeddedPort = DEFAULT_EMBEDDED_PORT;
  private long embeddedMaxQueued = DEFAULT_EMBEDDED_MAX_QUEUED;
  private List<String> embeddedJvmOptions = DEFAULT_EMBEDDED_JVM_OPTIONS;
  private Duration embeddedStartTimeout = Duration.ofSeconds(60);
  private String username;
  private String password;
  private Path caFile;
  private String clientId;
  private List<String> upTopics = DEFAULT_UP_TOPICS;
  private String desiredTopic = DEFAULT_DESIRED_TOPIC;
  private int maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES;
  private long queueMaxBytes = DEFAULT_QUEUE_MAX_BYTES;
  private int batchSize = DEFAULT_BATCH_SIZE;
  private Duration backoffBase = Duration.ofMillis(250);
  private Duration backoffCap = Duration.ofSeconds(30);

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  /** External broker, e.g. {@code tcp://mosquitto:1883} or {@code ssl://broker:8883}. Unset: embedded broker. */
  @Nullable
  public String getBrokerUrl() {
    return brokerUrl;
  }

  public void setBrokerUrl(@Nullable String brokerUrl) {
    this.brokerUrl = brokerUrl;
  }

  /** Interface of the embedded broker (default all). */
  public String getEmbeddedHost() {
    return embeddedHost;
  }

  public void setEmbeddedHost(String embeddedHost) {
    this.embeddedHost = embeddedHost;
  }

  /** Port of the embedded broker (default 1883; 0 = a free port). */
  public int getEmbeddedPort() {
    return embeddedPort;
  }

  public void setEmbeddedPort(int embeddedPort) {
    this.embeddedPort = embeddedPort;
  }

  @Nullable
  public String getUsername() {
    return username;
  }

  public void setUsername(@Nullable String username) {
    this.username = username;
  }

  @Nullable
  public String getPassword() {
    return password;
  }

  public void setPassword(@Nullable String password) {
    this.password = password;
  }

  /** PEM CA certificate(s) to trust for an {@code ssl://} broker; unset: the JDK's trust store. */
  @Nullable
  public Path getCaFile() {
    return caFile;
  }

  public void setCaFile(@Nullable Path caFile) {
    this.caFile = caFile;
  }

  /** MQTT client id of the agent (a persistent session); default {@code outpost-agent-CLUSTER}. */
  @Nullable
  public String getClientId() {
    return clientId;
  }

  public void setClientId(@Nullable String clientId) {
    this.clientId = clientId;
  }

  /** Topic filters forwarded to the hub; exactly one {@code +} level names the device. */
  public List<String> getUpTopics() {
    return upTopics;
  }

  public void setUpTopics(List<String> upTopics) {
    this.upTopics = upTopics;
  }

  /** Where desired state is published (retained); {@code {id}} is the device id. */
  public String getDesiredTopic() {
    return desiredTopic;
  }

  public void setDesiredTopic(String desiredTopic) {
    this.desiredTopic = desiredTopic;
  }

  /** Largest payload forwarded (default 256 KiB); larger ones are dropped and counted. */
  public int getMaxPayloadBytes() {
    return maxPayloadBytes;
  }

  public void setMaxPayloadBytes(int maxPayloadBytes) {
    this.maxPayloadBytes = maxPayloadBytes;
  }

  /** Byte budget of the store-and-forward queue (default 256 MiB); when full the oldest are dropped. */
  /**
   * Messages the embedded broker holds for one client it cannot deliver to yet (default 1,000,000):
   * the agent's session while its queue writer catches up, or a device's while it is offline.
   */
  public long getEmbeddedMaxQueued() {
    return embeddedMaxQueued;
  }

  public void setEmbeddedMaxQueued(long embeddedMaxQueued) {
    this.embeddedMaxQueued = embeddedMaxQueued;
  }

  /** JVM options of the embedded broker's process. */
  public List<String> getEmbeddedJvmOptions() {
    return embeddedJvmOptions;
  }

  public void setEmbeddedJvmOptions(List<String> embeddedJvmOptions) {
    this.embeddedJvmOptions = embeddedJvmOptions;
  }

  /** How long the agent waits for its embedded broker to listen (default 60 s). */
  public Duration getEmbeddedStartTimeout() {
    return embeddedStartTimeout;
  }

  public void setEmbeddedStartTimeout(Duration embeddedStartTimeout) {
    this.embeddedStartTimeout = embeddedStartTimeout;
  }

  public long getQueueMaxBytes() {
    return queueMaxBytes;
  }

  public void setQueueMaxBytes(long queueMaxBytes) {
    this.queueMaxBytes = queueMaxBytes;
  }

  /** Most messages per queue commit and per batch sent to the hub. */
  public int getBatchSize() {
    return batchSize;
  }

  public void setBatchSize(int batchSize) {
    this.batchSize = batchSize;
  }

  /** First broker reconnect wait ceiling; doubles per failed attempt (full jitter). */
  public Duration getBackoffBase() {
    return backoffBase;
  }

  public void setBackoffBase(Duration backoffBase) {
    this.backoffBase = backoffBase;
  }

  public Duration getBackoffCap() {
    return backoffCap;
  }

  public void setBackoffCap(Duration backoffCap) {
    this.backoffCap = backoffCap;
  }
}
