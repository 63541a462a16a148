package io.outpost.agent.devices;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.outpost.cache.queue.DurableQueue;
import io.outpost.cache.store.DurableStore;
import io.outpost.devices.proto.Ack;
import io.outpost.devices.proto.AgentDevices;
import io.outpost.devices.proto.DeviceMessage;
import io.outpost.devices.proto.DevicesGrpc;
import io.outpost.devices.proto.HubDevices;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The uplink against a real gRPC server on loopback standing in for the hub's devices service. */
class UplinkTest {

  @TempDir Path dir;

  /**
   * gRPC hands a stream's request observer to the caller before the call has started; a batch
   * sent in between is refused. The uplink used to take such a batch for sent and go on with the
   * next, so the hub got a device's later messages first and took the refused ones, resent later,
   * for duplicates. Here the call's start is held up for longer than the uplink's wake-up period.
   */
  @Test
  void noBatchIsSentBeforeTheStreamHasStartedSoTheHubGetsEverySeqInOrder() throws Exception {
    List<Long> received = new CopyOnWriteArrayList<>();
    Server hub = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new RecordingHub(received)).build().start();
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", hub.getPort()).usePlaintext()
        .intercept(new SlowStart(Duration.ofMillis(1500))).build();
    try (DurableStore store = DurableStore.open(dir.resolve("devices.db"))) {
      DurableQueue queue = new DurableQueue(store, "devices.uplink", 1 << 20);
      queue.appendAll(LongStream.rangeClosed(1, 5).mapToObj(UplinkTest::message).toList(), s -> { });
      DesiredStates desired = new DesiredStates(store, new TopicRules(DevicesSettings.DEFAULT_UP_TOPICS,
          DevicesSettings.DEFAULT_DESIRED_TOPIC), (topic, payload) -> true);
      try (Uplink uplink = new Uplink(queue, new DroppedSeqs(store), desired, 2)) {
        uplink.connected(channel);
        await().atMost(Duration.ofSeconds(20))
            .untilAsserted(() -> assertEquals(List.of(1L, 2L, 3L, 4L, 5L), received, "seqs as the hub got them"));
        await().atMost(Duration.ofSeconds(5)).until(() -> queue.size() == 0);
      }
    } finally {
      channel.shutdownNow();
      hub.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static byte[] message(long seq) {
    return DeviceMessage.newBuilder().setId("m" + seq).setDevice("thermo-1").setSeq(seq)
        .setTopic("devices/thermo-1/telemetry").setPayload(ByteString.copyFromUtf8("{\"n\":" + seq + "}"))
        .build().toByteArray();
  }

  /** Records each message's seq in arrival order and acks every batch. */
  private static final class RecordingHub extends DevicesGrpc.DevicesImplBase {
    private final List<Long> received;

    RecordingHub(List<Long> received) {
      this.received = received;
    }

    @Override
    public StreamObserver<AgentDevices> sync(StreamObserver<HubDevices> responses) {
      return new StreamObserver<>() {
        @Override
        public void onNext(AgentDevices message) {
          Ack.Builder ack = Ack.newBuilder();
          for (DeviceMessage m : message.getBatch().getMessagesList()) {
            received.add(m.getSeq());
            ack.addIds(m.getId());
          }
          responses.onNext(HubDevices.newBuilder().setAck(ack).build());
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          responses.onCompleted();
        }
      };
    }
  }

  /** Holds up the start of every call, as a busy machine can. */
  private record SlowStart(Duration delay) implements ClientInterceptor {
    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
      return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
        @Override
        public void start(Listener<R> listener, Metadata headers) {
          LockSupport.parkNanos(delay.toNanos());
          super.start(listener, headers);
        }
      };
    }
  }
}
