package io.outpost.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import io.outpost.tunnel.client.TunnelClient;
import io.outpost.tunnel.delivery.BundleReport;
import io.outpost.tunnel.delivery.DeliveryGrpc;
import io.outpost.tunnel.delivery.DesiredBundle;
import io.outpost.tunnel.delivery.Phase;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One simulated agent's end of the Delivery stream, for {@link DeliveryBenchmark}: it opens the
 * stream on every connect as the real agent does, "applies" each desired bundle into an in-memory
 * map (every object parsed from JSON and kept by kind/namespace/name, no apiserver), and reports
 * Synced. The apply times of each revision are collected across all agents in {@link Applied}.
 */
final class SimulatedDelivery implements TunnelClient.ConnectionListener {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** When the agents applied each revision: count, first and last (epoch ms). */
  static final class Applied {
    final AtomicLong count = new AtomicLong();
    final AtomicLong first = new AtomicLong(Long.MAX_VALUE);
    final AtomicLong last = new AtomicLong();

    void record(long at) {
      count.incrementAndGet();
      first.accumulateAndGet(at, Math::min);
      last.accumulateAndGet(at, Math::max);
    }
  }

  private final Map<String, Applied> applied;
  private final Map<String, Map<String, Object>> objects = new HashMap<>();
  private volatile StreamObserver<BundleReport> upstream;

  SimulatedDelivery(Map<String, Applied> applied) {
    this.applied = applied;
  }

  static Map<String, Applied> newLedger() {
    return new ConcurrentHashMap<>();
  }

  @Override
  public void connected(Channel channel) {
    upstream = DeliveryGrpc.newStub(channel).sync(new StreamObserver<>() {
      @Override
      public void onNext(DesiredBundle desired) {
        apply(desired);
      }

      @Override
      public void onError(Throwable t) {
        upstream = null;
      }

      @Override
      public void onCompleted() {
        upstream = null;
      }
    });
  }

  @Override
  public void disconnected(String reason) {
    upstream = null;
  }

  @SuppressWarnings("unchecked")
  private synchronized void apply(DesiredBundle desired) {
    Phase phase = Phase.SYNCED;
    String message = desired.getObjectsCount() + " objects applied in memory";
    try {
      for (String json : desired.getObjectsList()) {
        Map<String, Object> object = JSON.readValue(json, Map.class);
        Map<String, Object> meta = (Map<String, Object>) object.get("metadata");
        objects.put(object.get("kind") + "/" + meta.get("namespace") + "/" + meta.get("name"), object);
      }
    } catch (IOException e) {
      phase = Phase.FAILED;
      message = e.getMessage();
    }
    applied.computeIfAbsent(desired.getRevision(), r -> new Applied()).record(System.currentTimeMillis());
    StreamObserver<BundleReport> up = upstream;
    if (up != null) {
      up.onNext(BundleReport.newBuilder().setBundle(desired.getBundle()).setRevision(desired.getRevision())
          .setPhase(phase).setMessage(message).setApplyMode("in-memory").build());
    }
  }
}
