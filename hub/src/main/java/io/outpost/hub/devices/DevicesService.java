package io.outpost.hub.devices;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.outpost.devices.proto.Ack;
import io.outpost.devices.proto.AgentDevices;
import io.outpost.devices.proto.Desired;
import io.outpost.devices.proto.DevicesGrpc;
import io.outpost.devices.proto.HubDevices;
import io.outpost.devices.proto.MessageBatch;
import io.outpost.tunnel.server.AgentIdentity;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub end of the devices stream (served on the tunnel's mTLS server): commits each batch an
 * agent sends, then acks it; pushes desired state down to the connected agent of a cluster, and on
 * every (re)connect whatever that agent has not confirmed yet.
 */
public final class DevicesService extends DevicesGrpc.DevicesImplBase {

  private static final Logger log = LoggerFactory.getLogger(DevicesService.class);

  private final DeviceRegistry registry;
  /** The open stream of each cluster's agent (the newest wins). */
  private final Map<String, StreamObserver<HubDevices>> streams = new ConcurrentHashMap<>();

  public DevicesService(DeviceRegistry registry) {
    this.registry = registry;
  }

  @Override
  public StreamObserver<AgentDevices> sync(StreamObserver<HubDevices> responses) {
    String cluster = AgentIdentity.current().clusterName();
    ServerCallStreamObserver<HubDevices> out = (ServerCallStreamObserver<HubDevices>) responses;
    streams.put(cluster, out);
    registry.pendingDesired(cluster).forEach(record -> push(cluster, record));
    return new StreamObserver<>() {
      @Override
      public void onNext(AgentDevices message) {
        switch (message.getKindCase()) {
          case BATCH -> {
            MessageBatch batch = message.getBatch();
            DeviceRegistry.Committed committed = registry.commit(cluster, batch.getMessagesList(),
                batch.getDroppedThroughMap());
            send(out, HubDevices.newBuilder().setAck(Ack.newBuilder().addAllIds(committed.ids())).build());
            committed.gap().ifPresent(gap -> askForResend(out, gap));
          }
          case DESIRED_ACK -> registry.desiredAcked(cluster, message.getDesiredAck().getDevice(),
              message.getDesiredAck().getVersion());
          default -> log.debug("devices: ignoring an unknown message from cluster {}", cluster);
        }
      }

      @Override
      public void onError(Throwable t) {
        streams.remove(cluster, out);
      }

      @Override
      public void onCompleted() {
        streams.remove(cluster, out);
        synchronized (out) {
          out.onCompleted();
        }
      }
    };
  }

  /**
   * A device's seqs skipped one on this stream: a message went missing between the agent's queue
   * and here. Ending the stream makes the agent open a new one and resend from its oldest message.
   */
  private static void askForResend(ServerCallStreamObserver<HubDevices> out, String gap) {
    log.warn("devices: {}; ending the stream so the agent resends from its oldest message", gap);
    synchronized (out) {
      try {
        out.onError(Status.FAILED_PRECONDITION.withDescription("seq gap, resend: " + gap).asRuntimeException());
      } catch (RuntimeException e) {
        log.debug("devices: the stream had already ended: {}", e.toString());
      }
    }
  }

  /** Sends the record's desired state to the cluster's agent if it is connected; false if not. */
  public boolean push(String cluster, DeviceRecord record) {
    StreamObserver<HubDevices> out = streams.get(cluster);
    if (out == null || record.desired() == null) {
      return false;
    }
    return send(out, HubDevices.newBuilder().setDesired(Desired.newBuilder()
        .setDevice(record.device())
        .setVersion(record.desiredVersion())
        .setPayload(ByteString.copyFrom(record.desired(), StandardCharsets.UTF_8))).build());
  }

  public boolean isConnected(String cluster) {
    return streams.containsKey(cluster);
  }

  private static boolean send(StreamObserver<HubDevices> out, HubDevices message) {
    // Acks (gRPC thread) and desired pushes (API threads) share the stream: one at a time.
    synchronized (out) {
      try {
        out.onNext(message);
        return true;
      } catch (RuntimeException e) {
        log.debug("devices: could not send to an agent: {}", e.toString());
        return false;
      }
    }
  }
}
