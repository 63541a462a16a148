package io.outpost.hub.gateway;

import com.google.protobuf.ByteString;
import io.outpost.tunnel.proto.ResponseHead;
import io.outpost.tunnel.server.ExchangeListener;
import io.outpost.tunnel.server.HubExchange;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;

/**
 * Turns one tunnel exchange into what the HTTP server wants: a future response head, then a body
 * publisher whose demand is the tunnel's demand. When the HTTP client reads slowly, Netty stops
 * asking, this stops requesting frames, and the agent stops reading from its apiserver.
 */
final class ExchangeBridge implements ExchangeListener {

  private final CompletableFuture<ResponseHead> head = new CompletableFuture<>();
  private HubExchange exchange;
  private FluxSink<ByteBuffer> sink;
  private Runnable pendingTerminal;

  void bind(HubExchange exchange) {
    this.exchange = exchange;
  }

  CompletableFuture<ResponseHead> head() {
    return head;
  }

  Flux<ByteBuffer> body() {
    return Flux.create(s -> {
      // Demand passes through unchanged (an unbounded request stays unbounded); HTTP/2 flow
      // control on the exchange's own stream then bounds what is in flight.
      s.onRequest(n -> exchange.request((int) Math.min(n, Integer.MAX_VALUE)));
      s.onCancel(() -> exchange.cancel("the HTTP client went away"));
      Runnable terminal;
      synchronized (this) {
        sink = s;
        terminal = pendingTerminal;
      }
      if (terminal != null) {
        terminal.run();
      }
    }, FluxSink.OverflowStrategy.BUFFER);
  }

  @Override
  public void onHead(ResponseHead responseHead) {
    head.complete(responseHead);
  }

  @Override
  public void onChunk(ByteString chunk) {
    sinkOrLater(s -> s.next(chunk.asReadOnlyByteBuffer()));
  }

  @Override
  public void onEnd() {
    sinkOrLater(FluxSink::complete);
  }

  @Override
  public void onError(int httpStatus, String message) {
    GatewayException error = new GatewayException(httpStatus, message);
    if (!head.completeExceptionally(error)) {
      sinkOrLater(s -> s.error(error));
    }
  }

  private void sinkOrLater(java.util.function.Consumer<FluxSink<ByteBuffer>> signal) {
    FluxSink<ByteBuffer> s;
    synchronized (this) {
      s = sink;
      if (s == null) {
        pendingTerminal = () -> signal.accept(sink);
        return;
      }
    }
    signal.accept(s);
  }
}
