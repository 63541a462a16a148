package io.outpost.agent.devices;

import io.moquette.BrokerConstants;
import io.moquette.broker.Server;
import io.moquette.broker.config.MemoryConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * The MQTT broker (Moquette, MQTT 3.1.1) the agent runs for single-box sites that have no broker
 * of their own. Persistent sessions and their queued QoS 1 messages are kept on disk under the
 * agent's data dir ({@code mqtt-broker/}); telemetry to the Moquette project is off.
 *
 * <pre>{@code
 * EmbeddedBroker broker = EmbeddedBroker.start("0.0.0.0", 0, dataDir.resolve("mqtt-broker"));
 * String url = broker.url(); // tcp://127.0.0.1:PORT
 * }</pre>
 */
public final class EmbeddedBroker implements AutoCloseable {

  /** Largest MQTT packet the broker accepts; above the agent's payload limit so that limit is the one users meet. */
  static final int MAX_PACKET_BYTES = 16 << 20;

  private final Server server;
  private final String host;
  private final int port;

  private EmbeddedBroker(Server server, String host, int port) {
    this.server = server;
    this.host = host;
    this.port = port;
  }

  /** Starts the broker on {@code host:port}; port 0 picks a free one. */
  public static EmbeddedBroker start(String host, int requestedPort, Path dataDir) {
    // Moquette reports its configured port, not the bound one, so a free port is chosen here.
    int port = requestedPort == 0 ? freePort(host) : requestedPort;
    try {
      Files.createDirectories(dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the embedded broker's data dir " + dataDir + ": " + e.getMessage(), e);
    }
    Properties props = new Properties();
    props.setProperty(BrokerConstants.HOST_PROPERTY_NAME, host);
    props.setProperty(BrokerConstants.PORT_PROPERTY_NAME, Integer.toString(port));
    props.setProperty(BrokerConstants.WEB_SOCKET_PORT_PROPERTY_NAME, BrokerConstants.DISABLED_PORT_BIND);
    props.setProperty(BrokerConstants.PERSISTENCE_ENABLED_PROPERTY_NAME, "true");
    props.setProperty(BrokerConstants.DATA_PATH_PROPERTY_NAME, dataDir.toString());
    props.setProperty(BrokerConstants.PERSISTENT_QUEUE_TYPE_PROPERTY_NAME, "segmented");
    props.setProperty(BrokerConstants.ALLOW_ANONYMOUS_PROPERTY_NAME, "true");
    // mosquitto_pub and many small devices connect with an empty client id (clean session).
    props.setProperty(BrokerConstants.ALLOW_ZERO_BYTE_CLIENT_ID_PROPERTY_NAME, "true");
    props.setProperty(BrokerConstants.NETTY_MAX_BYTES_PROPERTY_NAME, Integer.toString(MAX_PACKET_BYTES));
    props.setProperty(BrokerConstants.IMMEDIATE_BUFFER_FLUSH_PROPERTY_NAME, "true");
    props.setProperty("telemetry_enabled", "false");
    // Sessions and retained messages to disk every second, not every 30 s.
    props.setProperty(BrokerConstants.AUTOSAVE_INTERVAL_PROPERTY_NAME, "1");
    Server server = new Server();
    try {
      server.startServer(new MemoryConfig(props));
    } catch (IOException | RuntimeException e) {
      server.stopServer();
      throw new IllegalStateException("embedded MQTT broker could not start on " + host + ":" + port + ": " + e.getMessage(), e);
    }
    return new EmbeddedBroker(server, host, port);
  }

  private static int freePort(String host) {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(host))) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a free port on " + host + " for the embedded MQTT broker", e);
    }
  }

  public int port() {
    return port;
  }

  /** The URL clients on this machine use; a wildcard bind is reached through loopback. */
  public String url() {
    String reach = host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host;
    return "tcp://" + reach + ":" + port();
  }

  @Override
  public void close() {
    server.stopServer();
  }
}
