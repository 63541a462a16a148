package io.outpost.agent.devices;

import io.outpost.devices.DeviceIds;
import io.outpost.tunnel.client.Backoff;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallbackExtended;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's MQTT client (Eclipse Paho 3.1.1) on the site's broker: a persistent session
 * (clean session off, so the broker queues QoS 1 messages while the agent is away), subscribed to
 * the up topics. Each message is checked (topic rule, device id, size, UTF-8), handed to the
 * {@link UplinkWriter} and acknowledged to the broker only once it is durable (manual acks). A
 * broker that is down or refuses us is retried with exponential backoff, forever; {@link #status()}
 * says which.
 */
final class MqttBridge implements MqttCallbackExtended, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(MqttBridge.class);

  private final MqttClient client;
  private final MqttConnectOptions options;
  private final String url;
  private final TopicRules rules;
  private final int maxPayloadBytes;
  private final UplinkWriter writer;
  private final Backoff backoff;
  private final Runnable onConnect;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "devices-mqtt-connect");
    t.setDaemon(true);
    return t;
  });
  private final AtomicInteger attempts = new AtomicInteger();
  private final Map<String, AtomicLong> rejected = new ConcurrentHashMap<>();
  private volatile String status = "connecting";
  private volatile boolean closed;

  MqttBridge(String url, String clientId, MqttConnectOptions options, TopicRules rules, int maxPayloadBytes,
      UplinkWriter writer, Backoff backoff, Runnable onConnect) {
    this.url = url;
    this.options = options;
    this.rules = rules;
    this.maxPayloadBytes = maxPayloadBytes;
    this.writer = writer;
    this.backoff = backoff;
    this.onConnect = onConnect;
    try {
      this.client = new MqttClient(url, clientId, new MemoryPersistence());
    } catch (MqttException | IllegalArgumentException e) {
      throw new IllegalArgumentException("MQTT broker URL \"" + url + "\": " + e.getMessage()
          + " (expected tcp://HOST:PORT or ssl://HOST:PORT)", e);
    }
    client.setManualAcks(true);
    client.setCallback(this);
  }

  void start() {
    timer.execute(this::connect);
  }

  /** {@code connected URL} or {@code retrying in Ns: reason}; goes into every heartbeat. */
  String status() {
    return status;
  }

  boolean isConnected() {
    return client.isConnected();
  }

  /** Messages not forwarded, by reason (oversized, not-utf8, bad-device-id, outside-rules). */
  Map<String, Long> rejected() {
    Map<String, Long> out = new TreeMap<>();
    rejected.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  /** Publishes {@code payload} retained at QoS 1; false if the broker is not reachable now. */
  boolean publishRetained(String topic, byte[] payload) {
    if (!client.isConnected()) {
      return false;
    }
    try {
      client.publish(topic, payload, 1, true);
      return true;
    } catch (MqttException e) {
      log.warn("devices: could not publish to {}: {}", topic, e.getMessage());
      return false;
    }
  }

  private void connect() {
    if (closed) {
      return;
    }
    try {
      client.connect(options);
      client.subscribe(rules.upFilters().toArray(String[]::new),
          rules.upFilters().stream().mapToInt(f -> 1).toArray());
      attempts.set(0);
      status = "connected " + url;
      log.info("devices: connected to MQTT broker {}, subscribed to {}", url, rules.upFilters());
      onConnect.run();
    } catch (MqttException e) {
      retry(describe(e));
    }
  }

  private void retry(String reason) {
    if (closed) {
      return;
    }
    long delay = backoff.delay(attempts.getAndIncrement()).toMillis();
    status = "retrying in " + Math.max(1, (delay + 999) / 1000) + "s: " + reason;
    log.warn("devices: MQTT broker {}: {}; retrying in {} ms", url, reason, delay);
    timer.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
  }

  private String describe(MqttException e) {
    return switch (e.getReasonCode()) {
      case MqttException.REASON_CODE_FAILED_AUTHENTICATION, MqttException.REASON_CODE_NOT_AUTHORIZED ->
          "broker " + url + " refused our credentials (" + e.getMessage() + "); check username and password";
      case MqttException.REASON_CODE_SERVER_CONNECT_ERROR ->
          "cannot reach broker " + url + (e.getCause() != null ? " (" + e.getCause().getMessage() + ")" : "");
      default -> "broker " + url + ": " + e.getMessage() + (e.getCause() != null ? " (" + e.getCause() + ")" : "");
    };
  }

  @Override
  public void connectComplete(boolean reconnect, String serverUri) {
    // Reconnects are ours (connect()), so nothing to do here.
  }

  @Override
  public void connectionLost(Throwable cause) {
    retry("lost the connection to broker " + url + ": " + cause.getMessage());
  }

  @Override
  public void messageArrived(String topic, MqttMessage message) throws InterruptedException {
    long now = System.currentTimeMillis();
    Runnable ack = () -> complete(message);
    String problem = check(topic, message.getPayload());
    if (problem != null) {
      // Acked anyway: a broker redelivering a message we will never take would block the session.
      ack.run();
      return;
    }
    String device = rules.match(topic).orElseThrow().device();
    writer.offer(new UplinkWriter.Arrival(device, topic, message.getPayload(), now, message.getId(),
        message.isDuplicate(), ack));
  }

  /** Why the message is not forwarded (counted and logged), or null. */
  private String check(String topic, byte[] payload) {
    var match = rules.match(topic);
    if (match.isEmpty()) {
      return reject("outside-rules", "topic \"" + topic + "\" matches none of the up topics " + rules.upFilters());
    }
    var idProblem = DeviceIds.problem(match.get().device());
    if (idProblem.isPresent()) {
      return reject("bad-device-id", "topic \"" + topic + "\": " + idProblem.get());
    }
    if (payload.length > maxPayloadBytes) {
      return reject("oversized", "topic \"" + topic + "\": payload of " + payload.length + " bytes is over the limit of "
          + maxPayloadBytes + " bytes (outpost.agent.devices.max-payload-bytes)");
    }
    try {
      StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(payload));
    } catch (CharacterCodingException e) {
      return reject("not-utf8", "topic \"" + topic + "\": payload is not valid UTF-8 text (expected JSON or text)");
    }
    return null;
  }

  private String reject(String reason, String message) {
    rejected.computeIfAbsent(reason, r -> new AtomicLong()).incrementAndGet();
    log.warn("devices: dropped a message: {}", message);
    return message;
  }

  private void complete(MqttMessage message) {
    try {
      client.messageArrivedComplete(message.getId(), message.getQos());
    } catch (MqttException e) {
      // The broker redelivers it to our persistent session, marked DUP; the writer recognises it.
      log.debug("devices: could not ack message {} to the broker: {}", message.getId(), e.getMessage());
    }
  }

  @Override
  public void deliveryComplete(IMqttDeliveryToken token) {
    // Our only publishes are retained desired states; nothing waits for them.
  }

  @Override
  public void close() {
    closed = true;
    timer.shutdownNow();
    try {
      if (client.isConnected()) {
        client.disconnect(1000);
      }
    } catch (MqttException e) {
      log.debug("devices: disconnect from {}: {}", url, e.getMessage());
    }
    try {
      client.close(true);
    } catch (MqttException e) {
      log.debug("devices: close client for {}: {}", url, e.getMessage());
    }
  }
}
