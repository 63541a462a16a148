package io.outpost.devices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.moquette.BrokerConstants;
import io.moquette.broker.Server;
import io.moquette.broker.config.MemoryConfig;
import io.outpost.agent.Agent;
import io.outpost.agent.AgentJoin;
import io.outpost.agent.devices.DevicesFeature;
import io.outpost.e2e.support.HubClient;
import io.outpost.hub.Hub;
import io.outpost.hub.devices.DeviceRecord;
import io.outpost.sandbox.SandboxCluster;
import io.outpost.sandbox.SandboxSpec;
import io.outpost.testing.FaultyLink;
import io.outpost.tunnel.client.TunnelClient;
import java.net.ServerSocket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Devices when things are down or guarded: the site cut off from the hub (a relay that drops the
 * tunnel), the agent restarted, the broker down at start or dying later, a broker that refuses our
 * credentials, a TLS broker with and without its CA.
 */
class DevicesOutageTest {

  @TempDir static Path dir;
  static Hub hub;
  static HubClient http;
  static FaultyLink link;
  static SandboxCluster sandbox;
  static Path kubeconfig;

  @BeforeAll
  static void startHub() throws Exception {
    hub = Hub.builder().dataDir(dir.resolve("hub")).httpsPort(0).tunnelPort(0).start();
    http = new HubClient(hub, hub.firstAdminToken().orElseThrow());
    link = new FaultyLink(hub.tunnelPort());
    sandbox = SandboxCluster.start(SandboxSpec.builder("site").build());
    kubeconfig = sandbox.writeKubeconfig(dir.resolve("kubeconfig"), "site");
  }

  @AfterAll
  static void stopHub() throws Exception {
    link.close();
    sandbox.close();
    hub.close();
  }

  /** Joins {@code cluster} through the relay and starts its agent with the devices bridge. */
  static Agent agent(String cluster, UnaryOperator<Agent.Builder> settings) throws Exception {
    Path agentDir = dir.resolve(cluster);
    if (!Files.exists(agentDir.resolve("devices.db"))) {
      String token = hub.tokens().create(Duration.ofMinutes(10), cluster).token();
      AgentJoin.join(hub.advertisedHost() + ":" + link.port(), token, hub.caPin(), cluster, "edge", Map.of(), agentDir);
    }
    return settings.apply(Agent.builder().dataDir(agentDir).kubeconfig(kubeconfig)
        .property("backoff-cap", "1s").property("devices.enabled", true).property("devices.embedded-port", 0)
        .property("devices.backoff-cap", "1s")).start();
  }

  @Test
  void desiredStateSetWhileTheSiteIsOfflineReachesTheDeviceAfterReconnect() throws Exception {
    try (Agent agent = agent("site-a", a -> a);
        MqttDevice lamp = MqttDevice.connect(agent.feature(DevicesFeature.class).brokerUrl(), "lamp-1").followDesired()) {
      assertThat(agent.awaitConnected(Duration.ofSeconds(20))).isTrue();
      link.cut();
      try {
        await().atMost(Duration.ofSeconds(10)).until(() -> agent.tunnel().state() != TunnelClient.State.CONNECTED);
        HttpResponse<String> set = putDesired("site-a", "lamp-1", "{\"on\":true}");
        assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
        assertThat(set.body()).contains("\"desiredVersion\":1", "\"desiredAckedVersion\":0");
      } finally {
        link.restore();
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> lamp.desired().contains("{\"on\":true}"));
      await().atMost(Duration.ofSeconds(10)).until(() -> acked("site-a", "lamp-1") == 1);
    }
  }

  @Test
  void aDeviceConnectingDuringAnOutageGetsTheLastDesiredStateFromTheAgent() throws Exception {
    try (Agent agent = agent("site-b", a -> a)) {
      assertThat(agent.awaitConnected(Duration.ofSeconds(20))).isTrue();
      assertThat(putDesired("site-b", "valve-7", "{\"open\":false}").statusCode()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(20)).until(() -> acked("site-b", "valve-7") == 1);
    }
    link.cut();
    try (Agent restarted = agent("site-b", a -> a);
        MqttDevice valve = MqttDevice.connect(restarted.feature(DevicesFeature.class).brokerUrl(), "valve-7")
            .followDesired()) {
      // The hub cannot reach this agent: what the device gets, the agent kept.
      assertThat(restarted.tunnel().state()).isNotEqualTo(TunnelClient.State.CONNECTED);
      await().atMost(Duration.ofSeconds(20)).until(() -> valve.desired().contains("{\"open\":false}"));
    } finally {
      link.restore();
    }
  }

  @Test
  void theAgentRunsWithItsBrokerDownAndForwardsOnceTheBrokerIsUp() throws Exception {
    int port = freePort();
    String url = "tcp://127.0.0.1:" + port;
    try (Agent agent = agent("site-c", a -> a.property("devices.broker-url", url))) {
      DevicesFeature devices = agent.feature(DevicesFeature.class);
      assertThat(agent.awaitConnected(Duration.ofSeconds(20))).isTrue();
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(clusterJson("site-c"))
          .contains("\"mqtt\":\"retrying in ", "cannot reach broker " + url));

      Server broker = startBroker(port, dir.resolve("broker-c"), Map.of());
      try (MqttDevice meter = MqttDevice.connect(url, "meter-1")) {
        await().atMost(Duration.ofSeconds(20)).until(() -> devices.mqttStatus().equals("connected " + url));
        meter.telemetry("{\"kwh\":1}");
        await().atMost(Duration.ofSeconds(20)).until(() -> count("site-c", "meter-1") == 1);
      } finally {
        broker.stopServer();
      }
      // The broker dies later: the agent says so and keeps retrying.
      await().atMost(Duration.ofSeconds(20)).until(() -> devices.mqttStatus().startsWith("retrying in "));
      Server again = startBroker(port, dir.resolve("broker-c"), Map.of());
      try (MqttDevice meter = MqttDevice.connect(url, "meter-1")) {
        await().atMost(Duration.ofSeconds(20)).until(() -> devices.mqttStatus().equals("connected " + url));
        meter.telemetry("{\"kwh\":2}");
        await().atMost(Duration.ofSeconds(20)).until(() -> count("site-c", "meter-1") == 2);
      } finally {
        again.stopServer();
      }
    }
  }

  @Test
  void aBrokerThatRefusesOurCredentialsIsReportedAndRetried() throws Exception {
    Path passwords = dir.resolve("passwords");
    String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
        .digest("right".getBytes(StandardCharsets.UTF_8)));
    Files.writeString(passwords, "outpost:" + hash + "\n");
    int port = freePort();
    Server broker = startBroker(port, dir.resolve("broker-d"), Map.of(
        BrokerConstants.ALLOW_ANONYMOUS_PROPERTY_NAME, "false",
        BrokerConstants.PASSWORD_FILE_PROPERTY_NAME, passwords.toString()));
    String url = "tcp://127.0.0.1:" + port;
    try (Agent agent = agent("site-d", a -> a.property("devices.broker-url", url)
        .property("devices.username", "outpost").property("devices.password", "wrong"))) {
      DevicesFeature devices = agent.feature(DevicesFeature.class);
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(devices.mqttStatus())
          .startsWith("retrying in ").contains("broker " + url + " refused our credentials", "check username and password"));
      assertThat(agent.awaitConnected(Duration.ofSeconds(20))).as("the tunnel is unaffected").isTrue();
    } finally {
      broker.stopServer();
    }
  }

  @Test
  void anSslBrokerIsReachedWithTheGivenCaFileAndRefusedWithoutIt() throws Exception {
    Path keystore = dir.resolve("broker.p12");
    Path ca = dir.resolve("broker-ca.pem");
    keytool("-genkeypair", "-alias", "broker", "-keyalg", "EC", "-keystore", keystore.toString(), "-storetype",
        "PKCS12", "-storepass", "changeit", "-keypass", "changeit", "-dname", "CN=127.0.0.1", "-ext",
        "SAN=ip:127.0.0.1", "-validity", "2");
    keytool("-exportcert", "-rfc", "-alias", "broker", "-keystore", keystore.toString(), "-storepass", "changeit",
        "-file", ca.toString());
    int plain = freePort();
    int tls = freePort();
    Server broker = startBroker(plain, dir.resolve("broker-e"), Map.of(
        BrokerConstants.SSL_PORT_PROPERTY_NAME, Integer.toString(tls),
        BrokerConstants.JKS_PATH_PROPERTY_NAME, keystore.toString(),
        BrokerConstants.KEY_STORE_TYPE, "pkcs12",
        BrokerConstants.KEY_STORE_PASSWORD_PROPERTY_NAME, "changeit",
        BrokerConstants.KEY_MANAGER_PASSWORD_PROPERTY_NAME, "changeit"));
    String url = "ssl://127.0.0.1:" + tls;
    try {
      try (Agent agent = agent("site-e", a -> a.property("devices.broker-url", url)
          .property("devices.ca-file", ca.toString()))) {
        DevicesFeature devices = agent.feature(DevicesFeature.class);
        await().atMost(Duration.ofSeconds(20)).until(() -> devices.mqttStatus().equals("connected " + url));
        try (MqttDevice meter = MqttDevice.connect("tcp://127.0.0.1:" + plain, "meter-tls")) {
          meter.telemetry("{\"tls\":true}");
          await().atMost(Duration.ofSeconds(20)).until(() -> count("site-e", "meter-tls") == 1);
        }
      }
      // Without the CA file the JVM's trust store does not know the broker's certificate.
      try (Agent agent = agent("site-e", a -> a.property("devices.broker-url", url))) {
        DevicesFeature devices = agent.feature(DevicesFeature.class);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(devices.mqttStatus())
            .startsWith("retrying in ").contains("broker " + url));
      }
    } finally {
      broker.stopServer();
    }
  }

  static void keytool(String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as("keytool: " + out).isZero();
  }

  static Server startBroker(int port, Path data, Map<String, String> extra) throws Exception {
    Properties props = new Properties();
    props.setProperty(BrokerConstants.HOST_PROPERTY_NAME, "127.0.0.1");
    props.setProperty(BrokerConstants.PORT_PROPERTY_NAME, Integer.toString(port));
    props.setProperty(BrokerConstants.WEB_SOCKET_PORT_PROPERTY_NAME, BrokerConstants.DISABLED_PORT_BIND);
    props.setProperty(BrokerConstants.DATA_PATH_PROPERTY_NAME, data.toString());
    props.setProperty("telemetry_enabled", "false");
    extra.forEach(props::setProperty);
    Server server = new Server();
    server.startServer(new MemoryConfig(props));
    return server;
  }

  static int freePort() throws Exception {
    try (ServerSocket free = new ServerSocket(0)) {
      return free.getLocalPort();
    }
  }

  static HttpResponse<String> putDesired(String cluster, String device, String json) {
    return http.send(http.request("/api/v1/devices/" + cluster + "/" + device + "/desired")
        .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(json)).build());
  }

  static String clusterJson(String cluster) {
    return http.get("/api/v1/clusters/" + cluster).body();
  }

  static long acked(String cluster, String device) {
    return hub.devices().get(cluster, device).map(DeviceRecord::desiredAckedVersion).orElse(0L);
  }

  static long count(String cluster, String device) {
    return hub.devices().get(cluster, device).map(DeviceRecord::messageCount).orElse(0L);
  }
}
