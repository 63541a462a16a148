package io.outpost.agent.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded broker as a child process: started, reached, adopted by the next agent, stopped. */
class BrokerProcessTest {

  static final List<String> JVM = List.of("-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
  static final Duration START = Duration.ofSeconds(60);

  @TempDir Path dir;

  @Test
  void aRunningBrokerIsAdoptedNotStartedTwiceAndAStopEndsIt() throws Exception {
    BrokerProcess first = BrokerProcess.startOrAdopt("127.0.0.1", 0, dir, 1000, JVM, START);
    try {
      assertTrue(publishes(first.url()), "a device can publish to " + first.url());
      // An agent that crashed left this broker running; the next one takes it over.
      BrokerProcess adopted = BrokerProcess.startOrAdopt("127.0.0.1", first.port(), dir, 1000, JVM, START);
      assertEquals(first.pid(), adopted.pid(), "the running broker is adopted, not replaced");
      assertEquals(first.url(), adopted.url());
    } finally {
      first.close();
    }
    assertFalse(ProcessHandle.of(first.pid()).map(ProcessHandle::isAlive).orElse(false), "the broker has stopped");
    assertFalse(Files.exists(dir.resolve("broker.pid")), "a clean stop removes broker.pid");
  }

  @Test
  void aPidFileNamingAnotherProcessIsNotTrusted() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    // A stale file whose pid now belongs to some other process (here: this test's JVM).
    Files.writeString(dir.resolve("broker.pid"), ProcessHandle.current().pid() + " " + port + "\n");
    try (BrokerProcess broker = BrokerProcess.startOrAdopt("127.0.0.1", port, dir, 1000, JVM, START)) {
      assertNotEquals(ProcessHandle.current().pid(), broker.pid());
      assertTrue(publishes(broker.url()));
    }
  }

  @Test
  void aPortInUseGivesAnErrorNamingItAndTheBrokerLog() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> BrokerProcess.startOrAdopt("127.0.0.1", taken.getLocalPort(), dir, 1000, JVM, START));
      assertTrue(e.getMessage().startsWith("the embedded MQTT broker "), e.getMessage());
      assertTrue(e.getMessage().contains("127.0.0.1:" + taken.getLocalPort()), e.getMessage());
      assertTrue(e.getMessage().contains(dir.resolve("broker.log").toString()), e.getMessage());
    }
  }

  private static boolean publishes(String url) throws Exception {
    MqttClient client = new MqttClient(url, "probe", new MemoryPersistence());
    MqttConnectOptions options = new MqttConnectOptions();
    options.setConnectionTimeout(10);
    client.connect(options);
    try {
      client.publish("devices/probe/telemetry", "{}".getBytes(StandardCharsets.UTF_8), 1, false);
      return true;
    } finally {
      client.disconnect();
      client.close();
    }
  }
}
