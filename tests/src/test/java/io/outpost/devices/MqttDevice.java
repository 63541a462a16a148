package io.outpost.devices;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/** A device as the tests play it: a Paho client with a persistent session that publishes QoS 1. */
final class MqttDevice implements AutoCloseable {

  private final String id;
  private final MqttClient client;
  private final List<String> desired = new CopyOnWriteArrayList<>();

  private MqttDevice(String id, MqttClient client) {
    this.id = id;
    this.client = client;
  }

  static MqttDevice connect(String brokerUrl, String id) throws MqttException {
    MqttClient client = new MqttClient(brokerUrl, "device-" + id, new MemoryPersistence());
    MqttConnectOptions options = new MqttConnectOptions();
    options.setCleanSession(false);
    options.setAutomaticReconnect(true);
    options.setMaxInflight(1000);
    options.setMaxReconnectDelay(1000);
    client.connect(options);
    return new MqttDevice(id, client);
  }

  void telemetry(String payload) throws MqttException {
    publish("devices/" + id + "/telemetry", payload.getBytes(StandardCharsets.UTF_8));
  }

  void publish(String topic, byte[] payload) throws MqttException {
    client.publish(topic, payload, 1, false);
  }

  /** Subscribes to this device's desired-state topic; {@link #desired()} collects what arrives. */
  MqttDevice followDesired() throws MqttException {
    client.subscribe("devices/" + id + "/desired", 1,
        (topic, message) -> desired.add(new String(message.getPayload(), StandardCharsets.UTF_8)));
    return this;
  }

  List<String> desired() {
    return desired;
  }

  @Override
  public void close() throws MqttException {
    if (client.isConnected()) {
      client.disconnect(2000);
    }
    client.close(true);
  }
}
