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
import java.lang.reflect.Field;
import java.util.Collections;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

  private static final Logger log = LoggerFactory.getLogger(EmbeddedBroker.class);
  private static final int MOQUETTE_INFLIGHT_WINDOW = 10;

  private final Server server;
  private final String host;
  private final int port;
  /** Sessions already widened (Moquette keeps one Session object per persistent session). */
  private final Set<Object> widened = Collections.newSetFromMap(new WeakHashMap<>());

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
    // The per-session-loop command queue (default 1024): when it is full Moquette drops the command
    // (a QoS 1 publish goes unacknowledged), which a burst of devices reaches quickly.
    props.setProperty(BrokerConstants.SESSION_QUEUE_SIZE, "65536");
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

  /**
   * Lets the session of {@code clientId} have {@code slots} QoS 1 messages unacknowledged instead of
   * Moquette 0.17's hard-coded 10. The agent acks only after a disk commit, so with 10 it would get
   * at most 10 messages per commit (a few hundred per second); with a wide window one commit covers
   * a whole batch. Reaches into Moquette's internals (the version is pinned): if they are not as
   * expected it logs and leaves the window as it is. Call after each connect of that client.
   */
  public void widenInflightWindow(String clientId, int slots) {
    try {
      Object registry = field(server, "sessions");
      Map<?, ?> pool = (Map<?, ?>) field(registry, "pool");
      Object session = pool.get(clientId);
      if (session != null && widened.add(session)) {
        ((AtomicInteger) field(session, "inflightSlots")).addAndGet(slots - MOQUETTE_INFLIGHT_WINDOW);
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.warn("devices: cannot widen the embedded broker's in-flight window for {} ({}); staying at {}", clientId,
          e.toString(), MOQUETTE_INFLIGHT_WINDOW);
    }
  }

  private static Object field(Object owner, String name) throws ReflectiveOperationException {
    Field field = owner.getClass().getDeclaredField(name);
    field.setAccessible(true);
    return field.get(owner);
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
