package io.outpost.hub.delivery;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.micronaut.context.annotation.Requires;
import io.outpost.hub.config.HubSettings;
import io.outpost.tunnel.delivery.BundleReport;
import io.outpost.tunnel.delivery.DeliveryGrpc;
import io.outpost.tunnel.delivery.DesiredBundle;
import io.outpost.tunnel.server.AgentIdentity;
import jakarta.inject.Singleton;

/**
 * The hub end of the Delivery stream, served on the tunnel's mTLS port: connects each agent's
 * stream to the {@link RolloutEngine}, which sends the desired bundles at once and on every change.
 */
@Singleton
@Requires(beans = HubSettings.class)
public class DeliveryService extends DeliveryGrpc.DeliveryImplBase {

  private final RolloutEngine engine;

  public DeliveryService(RolloutEngine engine) {
    this.engine = engine;
  }

  @Override
  public StreamObserver<BundleReport> sync(StreamObserver<DesiredBundle> responses) {
    String cluster = AgentIdentity.current().clusterName();
    ServerCallStreamObserver<DesiredBundle> out = (ServerCallStreamObserver<DesiredBundle>) responses;
    RolloutEngine.Sink sink = new RolloutEngine.Sink() {
      @Override
      public void send(DesiredBundle desired) {
        synchronized (this) {
          try {
            if (!out.isCancelled()) {
              out.onNext(desired);
            }
          } catch (RuntimeException ignored) {
            // The call just closed; the cancel handler tells the engine, and the agent gets
            // everything again when it reconnects.
          }
        }
      }
    };
    out.setOnCancelHandler(() -> engine.disconnected(cluster, sink));
    engine.connected(cluster, sink);
    return new StreamObserver<>() {
      @Override
      public void onNext(BundleReport report) {
        engine.report(cluster, report);
      }

      @Override
      public void onError(Throwable t) {
        engine.disconnected(cluster, sink);
      }

      @Override
      public void onCompleted() {
        engine.disconnected(cluster, sink);
        synchronized (sink) {
          out.onCompleted();
        }
      }
    };
  }
}
