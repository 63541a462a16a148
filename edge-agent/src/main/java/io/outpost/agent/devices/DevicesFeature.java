package io.outpost.agent.devices;

import io.micronaut.context.annotation.Requires;
import io.outpost.agent.AgentFeature;
import io.outpost.agent.ComponentStatuses;
import io.outpost.agent.config.AgentSettings;
import io.outpost.agent.identity.AgentIdentityFiles;
import io.outpost.cache.queue.DurableQueue;
import io.outpost.cache.store.DurableStore;
import io.outpost.tunnel.client.Backoff;
import io.outpost.tunnel.client.TunnelClient;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The devices bridge of the agent: site broker (embedded, run as a child process, or external) → Paho client → durable
 * store-and-forward queue ({@code DATA_DIR/devices.db}) → devices stream to the hub; and desired
 * state back down. Reports {@code mqtt} (broker connection) and {@code devices} (queue) in every
 * heartbeat. Enabled with {@code outpost.agent.devices.enabled=true}.
 */
@Singleton
@Requires(beans = DevicesSettings.class)
public class DevicesFeature implements AgentFeature {

  private static final Logger log = LoggerFactory.getLogger(DevicesFeature.class);

  private final DevicesSettings settings;
  private final AgentSettings agent;
  private final AgentIdentityFiles identity;
  private final TunnelClient tunnel;
  private final ComponentStatuses statuses;
  private DurableStore store;
  private DurableQueue queue;
  private BrokerProcess broker;
  private UplinkWriter writer;
  private Uplink uplink;
  private MqttBridge mqtt;
  private String brokerUrl;
  private boolean closed;

  public DevicesFeature(DevicesSettings settings, AgentSettings agent, AgentIdentityFiles identity, TunnelClient tunnel,
      ComponentStatuses statuses) {
    this.settings = settings;
    this.agent = agent;
    this.identity = identity;
    this.tunnel = tunnel;
    this.statuses = statuses;
  }

  @Override
  public synchronized void start() {
    if (store != null) {
      return;
    }
    TopicRules rules = new TopicRules(settings.getUpTopics(), settings.getDesiredTopic());
    Path dataDir = agent.getDataDir();
    store = DurableStore.open(dataDir.resolve("devices.db"));
    try {
      queue = new DurableQueue(store, "devices.uplink", settings.getQueueMaxBytes());
      brokerUrl = settings.getBrokerUrl();
      if (brokerUrl == null || brokerUrl.isBlank()) {
        broker = BrokerProcess.startOrAdopt(settings.getEmbeddedHost(), settings.getEmbeddedPort(),
            dataDir.resolve("mqtt-broker"), settings.getEmbeddedMaxQueued(), settings.getEmbeddedJvmOptions(),
            settings.getEmbeddedStartTimeout());
        brokerUrl = broker.url();
      }
      MqttBridge[] bridge = new MqttBridge[1];
      DesiredStates desired = new DesiredStates(store, rules, (topic, payload) -> bridge[0].publishRetained(topic, payload));
      DroppedSeqs dropped = new DroppedSeqs(store);
      uplink = new Uplink(queue, dropped, desired, settings.getBatchSize());
      writer = new UplinkWriter(store, queue, dropped, settings.getBatchSize(), uplink::wake);
      String clientId = Optional.ofNullable(settings.getClientId())
          .orElse("outpost-agent-" + identity.current().clusterName());
      mqtt = new MqttBridge(brokerUrl, clientId, connectOptions(), rules, settings.getMaxPayloadBytes(), writer,
          new Backoff(settings.getBackoffBase(), settings.getBackoffCap(), RandomGenerator.getDefault()),
          desired::republishAll);
      bridge[0] = mqtt;
      statuses.register("mqtt", mqtt::status);
      statuses.register("devices", this::queueStatus);
      tunnel.addListener(uplink);
      mqtt.start();
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  private MqttConnectOptions connectOptions() {
    MqttConnectOptions options = new MqttConnectOptions();
    options.setCleanSession(false);
    options.setAutomaticReconnect(false);
    options.setConnectionTimeout(10);
    options.setKeepAliveInterval(30);
    options.setMaxInflight(1000);
    if (settings.getUsername() != null) {
      options.setUserName(settings.getUsername());
    }
    if (settings.getPassword() != null) {
      options.setPassword(settings.getPassword().toCharArray());
    }
    if (settings.getCaFile() != null) {
      options.setSocketFactory(BrokerTls.trusting(settings.getCaFile()));
    }
    return options;
  }

  private String queueStatus() {
    return "queued " + queue.size() + " (" + queue.bytes() + " of " + queue.maxBytes() + " bytes), forwarded "
        + uplink.forwarded() + ", dropped " + queue.dropped() + ", rejected " + mqtt.rejected();
  }

  /** The broker's URL as the agent reaches it, e.g. {@code tcp://127.0.0.1:1883}. */
  public String brokerUrl() {
    return brokerUrl;
  }

  /** The embedded broker's port, if the agent runs one. */
  public Optional<Integer> embeddedPort() {
    return Optional.ofNullable(broker).map(BrokerProcess::port);
  }

  public String mqttStatus() {
    return mqtt.status();
  }

  public int queued() {
    return queue.size();
  }

  public long dropped() {
    return queue.dropped();
  }

  /** Messages not forwarded because of bad input, by reason. */
  public Map<String, Long> rejected() {
    return mqtt.rejected();
  }

  @Override
  @PreDestroy
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    statuses.remove("mqtt");
    statuses.remove("devices");
    // Order: stop taking messages, finish the commit in progress, then the stream, broker and store.
    closeQuietly(mqtt);
    if (broker != null) {
      // Nothing more comes from it; let it save and stop while the writer finishes its commit.
      broker.signalStop();
    }
    closeQuietly(writer);
    closeQuietly(uplink);
    closeQuietly(broker);
    closeQuietly(store);
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      log.warn("devices: closing {}: {}", c.getClass().getSimpleName(), e.toString());
    }
  }
}
