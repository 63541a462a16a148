package io.outpost.agent.devices;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Channel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.outpost.cache.queue.DurableQueue;
import io.outpost.devices.proto.AgentDevices;
import io.outpost.devices.proto.DesiredAck;
import io.outpost.devices.proto.DeviceMessage;
import io.outpost.devices.proto.DevicesGrpc;
import io.outpost.devices.proto.HubDevices;
import io.outpost.devices.proto.MessageBatch;
import io.outpost.tunnel.client.TunnelClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards the store-and-forward queue to the hub on the devices stream, one stream per tunnel
 * connection. Batches go out oldest first with a bounded number unacknowledged; an entry leaves
 * the queue only when the hub acks its id (it has committed it). When the link drops, everything
 * unacknowledged is sent again on the next connection: the hub drops what it already has. The hub
 * ends a stream on which a device's seqs skip one ({@code FAILED_PRECONDITION}); the stream is then
 * opened again like after any other end, and the resend starts at the oldest message. Desired
 * state from the hub is handed to {@link DesiredStates} and acked back.
 */
final class Uplink implements TunnelClient.ConnectionListener, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Uplink.class);

  private final DurableQueue queue;
  private final DroppedSeqs dropped;
  private final DesiredStates desired;
  private final int batchSize;
  private final int maxUnacked;
  private final Object lock = new Object();
  private final AtomicLong forwarded = new AtomicLong();
  private final Thread thread;
  /** The current stream, or null while the tunnel is down; guarded by lock. */
  private Session session;
  /** The tunnel's channel while it is up; guarded by lock. */
  private Channel channel;
  private boolean closed;

  Uplink(DurableQueue queue, DroppedSeqs dropped, DesiredStates desired, int batchSize) {
    this.queue = queue;
    this.dropped = dropped;
    this.desired = desired;
    this.batchSize = batchSize;
    this.maxUnacked = batchSize * 8;
    this.thread = new Thread(this::run, "devices-uplink");
    thread.setDaemon(true);
    thread.start();
  }

  /** Messages the hub has confirmed since the agent started. */
  long forwarded() {
    return forwarded.get();
  }

  boolean isOnline() {
    synchronized (lock) {
      return session != null;
    }
  }

  /** New messages are in the queue. */
  void wake() {
    synchronized (lock) {
      lock.notifyAll();
    }
  }

  @Override
  public void connected(Channel channel) {
    Session fresh = new Session();
    synchronized (lock) {
      if (closed) {
        return;
      }
      if (session != null) {
        session.end();
      }
      session = fresh;
      this.channel = channel;
      lock.notifyAll();
    }
    fresh.open(channel);
  }

  /** The hub ended the stream but the tunnel is still up: open a new stream after a pause. */
  private void reopenLater(Channel on) {
    CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS).execute(() -> {
      synchronized (lock) {
        if (closed || session != null || channel != on) {
          return;
        }
      }
      connected(on);
    });
  }

  @Override
  public void disconnected(String reason) {
    synchronized (lock) {
      if (session != null) {
        session.end();
        session = null;
      }
      channel = null;
    }
  }

  private void run() {
    while (true) {
      Session current;
      List<DurableQueue.Entry> entries;
      synchronized (lock) {
        while (!closed && (session == null || !session.canSend())) {
          waitQuietly();
        }
        if (closed) {
          return;
        }
        current = session;
      }
      entries = queue.read(current.lastSent, batchSize, 4L << 20);
      if (entries.isEmpty()) {
        synchronized (lock) {
          if (session == current && queue.read(current.lastSent, 1, 1).isEmpty()) {
            waitQuietly();
          }
        }
        continue;
      }
      current.send(entries);
    }
  }

  private void waitQuietly() {
    try {
      lock.wait(500);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closed = true;
    }
  }

  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
      if (session != null) {
        session.end();
      }
      lock.notifyAll();
    }
    thread.interrupt();
  }

  /** One devices stream on one tunnel connection. */
  private final class Session implements ClientResponseObserver<AgentDevices, HubDevices> {
    private ClientCallStreamObserver<AgentDevices> requests;
    private Channel on;
    /** id → queue position of what was sent and not yet acked; guarded by lock. */
    private final Map<String, Long> unacked = new HashMap<>();
    private long lastSent;
    /** The call has started and takes messages; guarded by lock. */
    private boolean started;
    private boolean ended;

    void open(Channel channel) {
      on = channel;
      DevicesGrpc.newStub(channel).sync(this);
      // Only now has the call started: beforeStart hands over the request stream earlier, and a
      // batch sent on it before the start is refused ("Not started"); taken for sent, it was lost.
      synchronized (lock) {
        started = true;
        lock.notifyAll();
      }
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<AgentDevices> stream) {
      this.requests = stream;
    }

    /** Called with lock held. */
    boolean canSend() {
      return !ended && started && unacked.size() < maxUnacked;
    }

    void send(List<DurableQueue.Entry> entries) {
      MessageBatch.Builder batch = MessageBatch.newBuilder();
      Map<String, Long> ids = new HashMap<>();
      for (DurableQueue.Entry e : entries) {
        try {
          DeviceMessage m = DeviceMessage.parseFrom(e.value());
          batch.addMessages(m);
          ids.put(m.getId(), e.position());
          long droppedThrough = dropped.through(m.getDevice());
          if (droppedThrough > 0) {
            batch.putDroppedThrough(m.getDevice(), droppedThrough);
          }
        } catch (InvalidProtocolBufferException ex) {
          log.error("devices: queue entry {} is unreadable and is dropped: {}", e.position(), ex.getMessage());
          queue.removeAll(List.of(e.position()));
        }
      }
      synchronized (lock) {
        if (ended) {
          return;
        }
        unacked.putAll(ids);
        lastSent = entries.get(entries.size() - 1).position();
        try {
          requests.onNext(AgentDevices.newBuilder().setBatch(batch).build());
        } catch (RuntimeException ex) {
          // Not sent, so this stream cannot carry on past it: end it, the next one resends.
          log.info("devices: sending a batch failed, reopening the stream: {}", ex.toString());
          end();
          if (session == this) {
            session = null;
            reopenLater(on);
          }
        }
      }
    }

    @Override
    public void onNext(HubDevices message) {
      switch (message.getKindCase()) {
        case ACK -> {
          List<Long> positions = new ArrayList<>();
          synchronized (lock) {
            for (String id : message.getAck().getIdsList()) {
              Long position = unacked.remove(id);
              if (position != null) {
                positions.add(position);
              }
            }
          }
          forwarded.addAndGet(queue.removeAll(positions));
          wake();
        }
        case DESIRED -> {
          desired.apply(message.getDesired());
          synchronized (lock) {
            if (!ended) {
              requests.onNext(AgentDevices.newBuilder().setDesiredAck(DesiredAck.newBuilder()
                  .setDevice(message.getDesired().getDevice()).setVersion(message.getDesired().getVersion())).build());
            }
          }
        }
        default -> log.debug("devices: ignoring an unknown message from the hub");
      }
    }

    @Override
    public void onError(Throwable t) {
      log.info("devices: stream to the hub ended: {}", t.toString());
      detach();
    }

    @Override
    public void onCompleted() {
      detach();
    }

    private void detach() {
      boolean wasCurrent;
      synchronized (lock) {
        ended = true;
        wasCurrent = session == this;
        if (wasCurrent) {
          session = null;
        }
      }
      if (wasCurrent) {
        reopenLater(on);
      }
    }

    /** Called with lock held. */
    void end() {
      if (!ended) {
        ended = true;
        try {
          requests.cancel("tunnel connection closed", null);
        } catch (RuntimeException ignored) {
          // already gone
        }
      }
    }
  }
}
