package io.outpost.agent.devices;

import com.hivemq.configuration.service.InternalConfigurations;
import com.hivemq.embedded.EmbeddedHiveMQ;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The MQTT broker (HiveMQ Community Edition, MQTT 3.1, 3.1.1 and 5) the agent runs for single-box
 * sites that have no broker of their own. Sessions and their queued messages live in file
 * persistence under {@code DATA_DIR/mqtt-broker/}; anonymous usage statistics are off.
 *
 * <p>Why HiveMQ and not a lighter broker: when the agent is killed while messages are on their way
 * to it, the broker must resend them, and before anything newer, or a device's order breaks. HiveMQ
 * keeps the agent's session queue in its file persistence and resends in order; Moquette 0.17 (used
 * before) resent in-flight messages only after newer queued ones, and a reconnecting session's new
 * packet ids could overwrite unacknowledged messages.
 *
 * <p>The agent runs it in a process of its own ({@link BrokerProcess}, {@link BrokerCommand}).
 *
 * <pre>{@code
 * EmbeddedBroker broker = EmbeddedBroker.start("0.0.0.0", 0, dataDir.resolve("mqtt-broker"), 1_000_000);
 * String url = broker.url(); // tcp://127.0.0.1:PORT
 * }</pre>
 */
public final class EmbeddedBroker implements AutoCloseable {

  /** Largest MQTT packet the broker accepts; above the agent's payload limit so that limit is the one users meet. */
  static final int MAX_PACKET_BYTES = 16 << 20;
  private static final long START_TIMEOUT_SECONDS = 60;
  /**
   * QoS 1 messages the broker sends a subscriber before waiting for acknowledgements (HiveMQ's
   * default is 50). The agent acknowledges only after a disk commit, so the window caps how many
   * messages one commit covers: 50 gave about 1,000 msg/s, 2,000 lets one commit take a whole batch.
   */
  static final int INFLIGHT_WINDOW = 2000;

  private final EmbeddedHiveMQ server;
  private final String host;
  private final int port;

  private EmbeddedBroker(EmbeddedHiveMQ server, String host, int port) {
    this.server = server;
    this.host = host;
    this.port = port;
  }

  /**
   * Starts the broker on {@code host:port} (port 0 picks a free one), keeping its state in
   * {@code dataDir}. {@code maxQueuedPerClient} bounds the messages held for one offline or slow
   * persistent session (the agent's own, or a device's); beyond it new messages for that client are
   * dropped.
   */
  public static EmbeddedBroker start(String host, int requestedPort, Path dataDir, long maxQueuedPerClient) {
    int port = requestedPort == 0 ? freePort(host) : requestedPort;
    Path conf = dataDir.resolve("conf");
    try {
      Files.createDirectories(conf);
      Files.createDirectories(dataDir.resolve("data"));
      Files.createDirectories(dataDir.resolve("extensions"));
      Files.writeString(conf.resolve("config.xml"), config(host, port, maxQueuedPerClient));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the embedded broker's data dir " + dataDir + ": " + e.getMessage(), e);
    }
    // A process-wide setting of HiveMQ's (public, not in its config file); this JVM runs one broker.
    InternalConfigurations.MAX_INFLIGHT_WINDOW_SIZE_MESSAGES = INFLIGHT_WINDOW;
    EmbeddedHiveMQ server = EmbeddedHiveMQ.builder()
        .withConfigurationFolder(conf)
        .withDataFolder(dataDir.resolve("data"))
        .withExtensionsFolder(dataDir.resolve("extensions"))
        // The agent's logback configuration stays in charge; HiveMQ would install its own.
        .withoutLoggingBootstrap()
        .build();
    try {
      server.start().get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      stopQuietly(server);
      Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
      throw new IllegalStateException("embedded MQTT broker could not start on " + host + ":" + port + " with data in "
          + dataDir + ": " + cause.getMessage(), cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopQuietly(server);
      throw new IllegalStateException("interrupted while starting the embedded MQTT broker", e);
    }
    return new EmbeddedBroker(server, host, port);
  }

  private static String config(String host, int port, long maxQueuedPerClient) {
    return """
        <?xml version="1.0"?>
        <hivemq>
          <listeners>
            <tcp-listener><port>%d</port><bind-address>%s</bind-address></tcp-listener>
          </listeners>
          <mqtt>
            <packets><max-packet-size>%d</max-packet-size></packets>
            <queued-messages><max-queue-size>%d</max-queue-size><strategy>discard</strategy></queued-messages>
          </mqtt>
          <persistence><mode>file</mode></persistence>
          <anonymous-usage-statistics><enabled>false</enabled></anonymous-usage-statistics>
        </hivemq>
        """.formatted(port, host, MAX_PACKET_BYTES, maxQueuedPerClient);
  }

  static int freePort(String host) {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(host))) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a free port on " + host + " for the embedded MQTT broker", e);
    }
  }

  public int port() {
    return port;
  }

  /** The URL clients on this machine use. */
  public String url() {
    return "tcp://" + reachableHost(host) + ":" + port;
  }

  /** The address a client on this machine reaches a listener on {@code host} at: loopback for a wildcard bind. */
  static String reachableHost(String host) {
    return host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host;
  }

  @Override
  public void close() {
    stopQuietly(server);
  }

  private static void stopQuietly(EmbeddedHiveMQ server) {
    try {
      server.stop().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      // Stopping is best effort: the file persistence is consistent after a crash too.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
