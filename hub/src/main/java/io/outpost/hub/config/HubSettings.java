package io.outpost.hub.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.context.annotation.Requires;
import io.outpost.tunnel.TunnelLimits;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything the hub can be told, under {@code outpost.hub.*} (environment: {@code OUTPOST_HUB_*};
 * command line: {@code outpost hub --help}). Defaults suit a single hub on its embedded store.
 */
@ConfigurationProperties(HubSettings.PREFIX)
@Requires(property = HubSettings.PREFIX + ".data-dir")
public class HubSettings {

  public static final String PREFIX = "outpost.hub";
  public static final int DEFAULT_TUNNEL_PORT = 7443;
  public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(5);
  public static final Duration DEFAULT_CLIENT_CERT_VALIDITY = Duration.ofDays(90);
  public static final Duration DEFAULT_TOKEN_TTL = Duration.ofHours(24);
  public static final int DEFAULT_MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024;

  private Path dataDir;
  private String tunnelBindHost = "0.0.0.0";
  private int tunnelPort = DEFAULT_TUNNEL_PORT;
  private List<String> advertiseHosts = new ArrayList<>(List.of("localhost", "127.0.0.1"));
  private Duration heartbeatInterval = DEFAULT_HEARTBEAT_INTERVAL;
  private Duration clientCertValidity = DEFAULT_CLIENT_CERT_VALIDITY;
  private Duration defaultTokenTtl = DEFAULT_TOKEN_TTL;
  private int maxRequestBodyBytes = DEFAULT_MAX_REQUEST_BODY_BYTES;
  private int maxMessageBytes = TunnelLimits.DEFAULT_MAX_MESSAGE_BYTES;
  private int maxConcurrentExchanges = TunnelLimits.DEFAULT_MAX_CONCURRENT_EXCHANGES;
  private Duration attachTimeout = TunnelLimits.DEFAULT_ATTACH_TIMEOUT;

  /** Where the CA, the server certificate and the registry live. Required. */
  public Path getDataDir() {
    return dataDir;
  }

  public void setDataDir(Path dataDir) {
    this.dataDir = dataDir;
  }

  /** Address the tunnel listener binds to (default all interfaces). */
  public String getTunnelBindHost() {
    return tunnelBindHost;
  }

  public void setTunnelBindHost(String tunnelBindHost) {
    this.tunnelBindHost = tunnelBindHost;
  }

  /** Port agents dial (default 7443; 0 picks a free one). */
  public int getTunnelPort() {
    return tunnelPort;
  }

  public void setTunnelPort(int tunnelPort) {
    this.tunnelPort = tunnelPort;
  }

  /**
   * Host names and IP addresses agents and users reach the hub by; they go into the hub's server
   * certificate. The first one is used in the printed join command and kubeconfig.
   */
  public List<String> getAdvertiseHosts() {
    return advertiseHosts;
  }

  public void setAdvertiseHosts(List<String> advertiseHosts) {
    this.advertiseHosts = advertiseHosts;
  }

  /** Heartbeat period agents are told to keep; three missed mark the cluster Offline. */
  public Duration getHeartbeatInterval() {
    return heartbeatInterval;
  }

  public void setHeartbeatInterval(Duration heartbeatInterval) {
    this.heartbeatInterval = heartbeatInterval;
  }

  /** Lifetime of the client certificates given to agents; they renew at two thirds of it. */
  public Duration getClientCertValidity() {
    return clientCertValidity;
  }

  public void setClientCertValidity(Duration clientCertValidity) {
    this.clientCertValidity = clientCertValidity;
  }

  /** Lifetime of a bootstrap token when none is asked for. */
  public Duration getDefaultTokenTtl() {
    return defaultTokenTtl;
  }

  public void setDefaultTokenTtl(Duration defaultTokenTtl) {
    this.defaultTokenTtl = defaultTokenTtl;
  }

  /** Largest request body the gateway forwards (the apiserver's own limit is 3 MiB). */
  public int getMaxRequestBodyBytes() {
    return maxRequestBodyBytes;
  }

  public void setMaxRequestBodyBytes(int maxRequestBodyBytes) {
    this.maxRequestBodyBytes = maxRequestBodyBytes;
  }

  /** Largest single tunnel message accepted from an agent. */
  public int getMaxMessageBytes() {
    return maxMessageBytes;
  }

  public void setMaxMessageBytes(int maxMessageBytes) {
    this.maxMessageBytes = maxMessageBytes;
  }

  /** Requests, watches and log streams in flight per cluster; more are refused with 429. */
  public int getMaxConcurrentExchanges() {
    return maxConcurrentExchanges;
  }

  public void setMaxConcurrentExchanges(int maxConcurrentExchanges) {
    this.maxConcurrentExchanges = maxConcurrentExchanges;
  }

  /** How long an agent may take to open the stream of a request before the user gets 504. */
  public Duration getAttachTimeout() {
    return attachTimeout;
  }

  public void setAttachTimeout(Duration attachTimeout) {
    this.attachTimeout = attachTimeout;
  }

  public TunnelLimits tunnelLimits() {
    return new TunnelLimits(maxMessageBytes, maxConcurrentExchanges, attachTimeout);
  }
}
