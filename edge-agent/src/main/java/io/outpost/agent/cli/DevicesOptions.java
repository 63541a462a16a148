package io.outpost.agent.cli;

import io.outpost.agent.Agent;
import io.outpost.agent.devices.DevicesFeature;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The devices bridge's flags of {@code agent run}; see {@code DevicesSettings} for the rest. */
final class DevicesOptions {

  @Option(names = "--devices", defaultValue = "${env:OUTPOST_AGENT_DEVICES:-false}",
      description = "Bridge the site's MQTT devices to the hub (store-and-forward). Default: ${DEFAULT-VALUE}.")
  boolean enabled;

  @Option(names = "--mqtt-broker", defaultValue = "${env:OUTPOST_AGENT_MQTT_BROKER}", paramLabel = "URL",
      description = "External broker (tcp://HOST:1883, ssl://HOST:8883). Default: an embedded broker.")
  String brokerUrl;

  @Option(names = "--mqtt-port", defaultValue = "${env:OUTPOST_AGENT_MQTT_PORT:-1883}", paramLabel = "PORT",
      description = "Port of the embedded broker (0 = any free port). Default: ${DEFAULT-VALUE}.")
  int embeddedPort;

  @Option(names = "--mqtt-username", defaultValue = "${env:OUTPOST_AGENT_MQTT_USERNAME}", paramLabel = "NAME")
  String username;

  @Option(names = "--mqtt-password-env", defaultValue = "OUTPOST_AGENT_MQTT_PASSWORD", paramLabel = "VAR",
      description = "Environment variable holding the broker password (kept off the command line). Default: ${DEFAULT-VALUE}.")
  String passwordEnv;

  @Option(names = "--mqtt-ca-file", defaultValue = "${env:OUTPOST_AGENT_MQTT_CA_FILE}", paramLabel = "PEM",
      description = "CA certificate(s) to trust for an ssl:// broker. Default: the JVM's trust store.")
  Path caFile;

  void apply(Agent.Builder builder) {
    if (!enabled) {
      return;
    }
    builder.property("devices.enabled", true).property("devices.embedded-port", embeddedPort);
    if (brokerUrl != null) {
      builder.property("devices.broker-url", brokerUrl);
    }
    if (username != null) {
      builder.property("devices.username", username);
    }
    String password = System.getenv(passwordEnv);
    if (password != null) {
      builder.property("devices.password", password);
    }
    if (caFile != null) {
      builder.property("devices.ca-file", caFile.toString());
    }
  }

  void report(Agent agent) {
    if (enabled) {
      DevicesFeature devices = agent.feature(DevicesFeature.class);
      System.out.println("mqtt: " + devices.brokerUrl() + " (" + devices.mqttStatus() + ")");
    }
  }
}
