package io.outpost.tunnel.server;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.outpost.tunnel.TunnelLimits;
import io.outpost.tunnel.proto.End;
import io.outpost.tunnel.proto.ExchangeFrame;
import io.outpost.tunnel.proto.RequestHead;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub end of one proxied exchange. It rides on its own gRPC stream, opened by the agent, so
 * the response flows only as fast as {@link #request(int)} asks: a consumer that stops reading
 * fills this stream's HTTP/2 window and stalls nothing else.
 */
public final class HubExchange {

  private static final Logger log = LoggerFactory.getLogger(HubExchange.class);

  private final String id;
  private final String clusterName;
  private final RequestHead head;
  private final ByteString body;
  private final ExchangeListener listener;
  private final TunnelStats stats;
  private final Consumer<HubExchange> onDone;
  private final AtomicBoolean done = new AtomicBoolean();
  private ServerCallStreamObserver<ExchangeFrame> stream;
  private boolean headSeen;
  private int demandBeforeAttach;
  private String cancelReason;
  private ScheduledFuture<?> attachDeadline;

  HubExchange(
      String id,
      String clusterName,
      RequestHead head,
      ByteString body,
      ExchangeListener listener,
      TunnelStats stats,
      Consumer<HubExchange> onDone) {
    this.id = id;
    this.clusterName = clusterName;
    this.head = head;
    this.body = body;
    this.listener = listener;
    this.stats = stats;
    this.onDone = onDone;
  }

  public String id() {
    return id;
  }

  public String clusterName() {
    return clusterName;
  }

  void attachDeadline(ScheduledFuture<?> deadline) {
    this.attachDeadline = deadline;
  }

  /** Asks for {@code n} more response frames (body chunks or the end). */
  public synchronized void request(int n) {
    if (stream == null) {
      demandBeforeAttach += n;
    } else if (!done.get()) {
      stream.request(n);
    }
  }

  /** Abandons the exchange (the HTTP client went away); the agent stops reading from its apiserver. */
  public void cancel(String reason) {
    ServerCallStreamObserver<ExchangeFrame> s;
    synchronized (this) {
      cancelReason = reason;
      s = stream;
    }
    if (finish() && s != null) {
      synchronized (this) {
        s.onError(Status.CANCELLED.withDescription(reason).asRuntimeException());
      }
    }
  }

  /**
   * Binds the agent's stream to this exchange; false (and the stream refused) when the exchange
   * has ended or another stream already holds it — a second attach must never take over a live
   * exchange or inject frames into its answer.
   */
  synchronized boolean attached(ServerCallStreamObserver<ExchangeFrame> stream) {
    if (this.stream != null) {
      stream.onError(Status.ALREADY_EXISTS
          .withDescription("exchange " + id + " is already attached to another stream")
          .asRuntimeException());
      return false;
    }
    if (attachDeadline != null) {
      attachDeadline.cancel(false);
    }
    if (done.get()) {
      stream.onError(Status.CANCELLED
          .withDescription(cancelReason == null ? "exchange " + id + " already ended" : cancelReason)
          .asRuntimeException());
      return false;
    }
    this.stream = stream;
    log.debug("exchange {} attached by cluster {}: {} {}", id, clusterName, head.getMethod(), head.getPath());
    if (head.getHasBody()) {
      for (int offset = 0; offset < body.size(); offset += TunnelLimits.CHUNK_BYTES) {
        ByteString chunk = body.substring(offset, Math.min(body.size(), offset + TunnelLimits.CHUNK_BYTES));
        stream.onNext(ExchangeFrame.newBuilder().setChunk(chunk).build());
      }
      stream.onNext(ExchangeFrame.newBuilder().setEnd(End.getDefaultInstance()).build());
      stats.bytesToAgents.addAndGet(body.size());
    }
    // One frame for the response head, plus whatever the consumer asked for meanwhile.
    stream.request(1 + demandBeforeAttach);
    return true;
  }

  void onFrame(ExchangeFrame frame) {
    if (done.get()) {
      return;
    }
    switch (frame.getBodyCase()) {
      case RESPONSE_HEAD -> {
        if (headSeen) {
          protocolError("a second response head");
          return;
        }
        headSeen = true;
        log.debug("exchange {} answered {}", id, frame.getResponseHead().getStatus());
        listener.onHead(frame.getResponseHead());
      }
      case CHUNK -> {
        if (!headSeen) {
          protocolError("a body chunk before the response head");
          return;
        }
        stats.bytesFromAgents.addAndGet(frame.getChunk().size());
        listener.onChunk(frame.getChunk());
      }
      case END -> {
        if (!headSeen) {
          protocolError("the end before the response head");
          return;
        }
        if (finish()) {
          stream.onCompleted();
          listener.onEnd();
        }
      }
      case ERROR -> {
        if (finish()) {
          stream.onCompleted();
          stats.exchangesFailed.incrementAndGet();
          listener.onError(frame.getError().getHttpStatus(), frame.getError().getMessage());
        }
      }
      default -> protocolError("an unexpected " + frame.getBodyCase() + " frame");
    }
  }

  /** The stream broke or closed before the end frame. */
  void streamEnded(String reason) {
    fail(502, "the tunnel to cluster " + clusterName + " broke during the request: " + reason);
  }

  void fail(int httpStatus, String message) {
    ServerCallStreamObserver<ExchangeFrame> s;
    synchronized (this) {
      s = stream;
    }
    if (finish()) {
      stats.exchangesFailed.incrementAndGet();
      if (s != null) {
        synchronized (this) {
          s.onError(Status.ABORTED.withDescription(message).asRuntimeException());
        }
      }
      listener.onError(httpStatus, message);
    }
  }

  private void protocolError(String what) {
    stats.protocolErrors.incrementAndGet();
    fail(502, "cluster " + clusterName + " sent a malformed exchange: " + what);
  }

  private boolean finish() {
    if (!done.compareAndSet(false, true)) {
      return false;
    }
    if (attachDeadline != null) {
      attachDeadline.cancel(false);
    }
    onDone.accept(this);
    return true;
  }
}
