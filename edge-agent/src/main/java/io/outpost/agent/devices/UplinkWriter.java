package io.outpost.agent.devices;

import com.google.protobuf.ByteString;
import io.outpost.cache.queue.DurableQueue;
import io.outpost.cache.store.DurableMap;
import io.outpost.cache.store.DurableStore;
import io.outpost.devices.proto.DeviceMessage;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit of device messages into the store-and-forward queue: arrivals collect in memory, one
 * writer thread gives each an id and its device's next sequence number, commits the whole batch
 * (messages and sequence counters) in one transaction, and only then runs each arrival's
 * {@code ack}, which tells the broker (QoS 1) that the message is safe. So one fsync covers up to
 * {@code batchSize} messages, and nothing is acknowledged that a {@code kill -9} could lose.
 */
final class UplinkWriter implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(UplinkWriter.class);

  /**
   * A message as received from the broker; {@code ack} runs once it is durable. {@code packetId}
   * and {@code duplicate} are the MQTT packet id and DUP flag, see {@link #isRedelivery}.
   */
  record Arrival(String device, String topic, byte[] payload, long receivedAtMillis, int packetId, boolean duplicate,
      Runnable ack) {}

  private final DurableQueue queue;
  private final DroppedSeqs dropped;
  private final DurableMap seqs;
  private final DurableMap inbound;
  /** Packet id → fingerprint of the last message stored under it; mirrors {@link #inbound}. */
  private final Map<Integer, Long> lastByPacketId = new HashMap<>();
  private final AtomicLong redeliveries = new AtomicLong();
  private final int batchSize;
  private final Runnable committed;
  /** Bounded: when the disk falls behind, the broker client's thread blocks here, which is back-pressure. */
  private final BlockingQueue<Arrival> arrivals;
  private final Map<String, Long> lastSeq = new HashMap<>();
  private final AtomicLong enqueued = new AtomicLong();
  private final Thread thread;
  private volatile boolean closed;

  UplinkWriter(DurableStore store, DurableQueue queue, DroppedSeqs dropped, int batchSize, Runnable committed) {
    this.queue = queue;
    this.dropped = dropped;
    this.seqs = store.map("devices.seq");
    this.inbound = store.map("devices.inbound");
    this.batchSize = batchSize;
    this.committed = committed;
    this.arrivals = new ArrayBlockingQueue<>(batchSize * 4);
    seqs.forEach((device, value) -> lastSeq.put(device, ByteBuffer.wrap(value).getLong()));
    inbound.forEach((id, value) -> lastByPacketId.put(Integer.parseInt(id), ByteBuffer.wrap(value).getLong()));
    this.thread = new Thread(this::run, "devices-uplink-writer");
    thread.setDaemon(true);
    thread.start();
  }

  void offer(Arrival arrival) throws InterruptedException {
    arrivals.put(arrival);
  }

  long enqueued() {
    return enqueued.get();
  }

  /** Messages the broker delivered again after they were stored (not stored twice). */
  long redeliveries() {
    return redeliveries.get();
  }

  private void run() {
    List<Arrival> batch = new ArrayList<>(batchSize);
    while (!closed) {
      try {
        Arrival first = arrivals.poll(200, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        arrivals.drainTo(batch, batchSize - 1);
        commit(batch);
        batch.forEach(a -> a.ack().run());
        enqueued.addAndGet(batch.size());
        batch.clear();
        committed.run();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        // Not acked, so not lost: keep the batch and try again (a full disk may free up).
        log.error("devices: could not store {} messages in the queue, retrying: {}", batch.size(), e.toString());
        sleepQuietly();
      }
    }
  }

  private void commit(List<Arrival> batch) {
    Map<String, Long> next = new HashMap<>();
    Map<Integer, Long> fingerprints = new HashMap<>();
    List<byte[]> values = new ArrayList<>(batch.size());
    for (Arrival a : batch) {
      long fingerprint = fingerprint(a);
      if (isRedelivery(a, fingerprint, fingerprints)) {
        redeliveries.incrementAndGet();
        continue;
      }
      fingerprints.put(a.packetId(), fingerprint);
      long seq = next.getOrDefault(a.device(), lastSeq.getOrDefault(a.device(), 0L)) + 1;
      next.put(a.device(), seq);
      values.add(DeviceMessage.newBuilder()
          .setId(UUID.randomUUID().toString())
          .setDevice(a.device())
          .setSeq(seq)
          .setTopic(a.topic())
          .setPayload(ByteString.copyFrom(a.payload()))
          .setReceivedAtMillis(a.receivedAtMillis())
          .build().toByteArray());
    }
    Map<String, Long> drops = new HashMap<>();
    queue.appendAll(values, store -> {
      next.forEach((device, seq) -> seqs.put(device, ByteBuffer.allocate(8).putLong(seq).array()));
      fingerprints.forEach((id, fp) -> inbound.put(Integer.toString(id), ByteBuffer.allocate(8).putLong(fp).array()));
    }, lost -> drops.putAll(dropped.persist(lost)));
    dropped.apply(drops);
    lastSeq.putAll(next);
    lastByPacketId.putAll(fingerprints);
  }

  /**
   * Whether the broker is delivering again a message that is already in the queue: the agent
   * stored it but died (or lost the connection) before its ack reached the broker, so the broker
   * resends it on the resumed session with the same packet id and the DUP flag (MQTT 3.1.1
   * 4.4). Such a message would otherwise get a new id and sequence and reach the hub twice. A
   * packet id is reused by the broker only after our ack, and then without DUP, which replaces
   * the remembered fingerprint. Limit: a device that publishes the very same topic and payload
   * again, lost before it reached us and redelivered under the same packet id, is taken for the
   * copy and not stored.
   */
  private boolean isRedelivery(Arrival a, long fingerprint, Map<Integer, Long> inThisBatch) {
    if (!a.duplicate() || a.packetId() == 0) {
      return false;
    }
    Long known = inThisBatch.containsKey(a.packetId()) ? inThisBatch.get(a.packetId()) : lastByPacketId.get(a.packetId());
    return known != null && known == fingerprint;
  }

  private static long fingerprint(Arrival a) {
    CRC32C crc = new CRC32C();
    crc.update(a.topic().getBytes(StandardCharsets.UTF_8));
    crc.update(a.payload());
    return (crc.getValue() << 32) ^ a.payload().length;
  }

  private void sleepQuietly() {
    try {
      Thread.sleep(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    // No interrupt while a commit may run: an interrupted file channel closes the store under us.
    closed = true;
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
