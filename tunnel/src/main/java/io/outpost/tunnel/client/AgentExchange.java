package io.outpost.tunnel.client;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.outpost.tunnel.TunnelLimits;
import io.outpost.tunnel.proto.Attach;
import io.outpost.tunnel.proto.End;
import io.outpost.tunnel.proto.ExchangeError;
import io.outpost.tunnel.proto.ExchangeFrame;
import io.outpost.tunnel.proto.Header;
import io.outpost.tunnel.proto.ResponseHead;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The agent end of one exchange, on its own gRPC stream. The handler answers with {@link
 * #respond}, then {@link #send} chunks while {@link #isReady()} and waits for {@link #onReady}
 * otherwise, then {@link #end()} — or {@link #fail} at any point.
 *
 * <p>The callbacks ({@link #onReady}, {@link #onCancel}, completion of {@link #body()}) run on the
 * tunnel's transport thread: start work or resume a read there, never block.
 *
 * <p>Body bytes are packed into chunks of up to {@code chunkBytes} (what the hub takes, up to
 * {@link TunnelLimits#MAX_CHUNK_BYTES}), also across {@link #send} calls while the upstream
 * streams: an HTTP client hands over one 16 KiB TLS record, or one 64 KiB read of plain HTTP, per
 * call, and every message costs framing, a flow-control update, a flush and a thread hand-off at
 * each hop. A partial chunk waits for more only while the last buffer was bulk-sized (from {@value
 * #RECORD_BYTES} bytes up to half a chunk: more is likely on its way), and never longer than {@link
 * #LINGER}. Anything smaller (a watch event, the tail of a body) goes out at once with what is
 * pending, and so does anything larger: a big read is a good message on its own, and holding back
 * its remainder would split every following read across two messages. {@link #end()} sends what is
 * pending first.
 */
public final class AgentExchange implements ClientResponseObserver<ExchangeFrame, ExchangeFrame> {

  /** A full TLS record's plaintext: buffers from this size on say the upstream is streaming. */
  static final int RECORD_BYTES = 16 * 1024;
  /** Longest a partial chunk waits for more bulk data before it goes out anyway. */
  static final Duration LINGER = Duration.ofMillis(2);

  private final String id;
  private final int maxBodyBytes;
  private final int chunkBytes;
  private final CompletableFuture<byte[]> body = new CompletableFuture<>();
  private final ByteArrayOutputStream bodyBuffer = new ByteArrayOutputStream();
  private final List<Runnable> readyCallbacks = new CopyOnWriteArrayList<>();
  private final List<Runnable> cancelCallbacks = new CopyOnWriteArrayList<>();
  private final Runnable onDone;
  private final ScheduledExecutorService timer;
  private ByteString pending = ByteString.EMPTY;
  private ScheduledFuture<?> lingering;
  private ClientCallStreamObserver<ExchangeFrame> stream;
  private boolean finished;
  private volatile boolean cancelled;

  /**
   * @param chunkBytes the largest body chunk to send, what the hub said it takes
   * @param timer runs the flush of a partial chunk after {@link #LINGER}
   */
  AgentExchange(String id, boolean hasBody, int maxBodyBytes, int chunkBytes, ScheduledExecutorService timer,
      Runnable onDone) {
    this.id = id;
    this.maxBodyBytes = maxBodyBytes;
    this.chunkBytes = chunkBytes;
    this.timer = timer;
    this.onDone = onDone;
    if (!hasBody) {
      body.complete(new byte[0]);
    }
  }

  public String id() {
    return id;
  }

  /** The request body; completes at once for requests without one. */
  public CompletableFuture<byte[]> body() {
    return body;
  }

  public synchronized void respond(int status, Map<String, List<String>> headers) {
    ResponseHead.Builder head = ResponseHead.newBuilder().setStatus(status);
    headers.forEach((name, values) -> head.addHeaders(Header.newBuilder().setName(name).addAllValues(values)));
    write(ExchangeFrame.newBuilder().setResponseHead(head).build());
  }

  /** Sends body bytes, split into chunks that fit any message limit. */
  public void send(ByteBuffer data) {
    send(List.of(data));
  }

  /** Sends body bytes in chunks of up to {@code chunkBytes} (see the class comment). */
  public synchronized void send(List<ByteBuffer> buffers) {
    boolean streaming = false;
    for (ByteBuffer data : buffers) {
      streaming = data.remaining() >= RECORD_BYTES && data.remaining() < chunkBytes / 2;
      while (data.hasRemaining() && !finished) {
        int n = Math.min(data.remaining(), chunkBytes - pending.size());
        pending = pending.concat(ByteString.copyFrom(data, n));
        if (pending.size() == chunkBytes) {
          flush();
        }
      }
    }
    if (pending.isEmpty()) {
      return;
    }
    if (!streaming) {
      flush();
    } else if (lingering == null) {
      lingering = lingerFlush();
    }
  }

  private ScheduledFuture<?> lingerFlush() {
    try {
      return timer.schedule(() -> {
        synchronized (this) {
          lingering = null;
          flush();
        }
      }, LINGER.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException tunnelClosing) {
      flush();
      return null;
    }
  }

  /**
   * Writes the pending partial chunk, if any. An armed linger flush stays armed: cancelling and
   * re-arming it for every chunk cost a timer wake-up per chunk; left alone it fires at most once
   * per {@link #LINGER} and finds nothing, or a younger partial chunk, to send.
   */
  private void flush() {
    if (!pending.isEmpty()) {
      ByteString chunk = pending;
      pending = ByteString.EMPTY;
      write(ExchangeFrame.newBuilder().setChunk(chunk).build());
    }
  }

  /** Whether the stream can take more now without buffering; false once the exchange is over. */
  public synchronized boolean isReady() {
    return !finished && stream != null && stream.isReady();
  }

  /** Runs {@code callback} each time the stream turns writable again. */
  public void onReady(Runnable callback) {
    readyCallbacks.add(callback);
  }

  /** Runs {@code callback} if the hub abandons the exchange (its HTTP client went away). */
  public void onCancel(Runnable callback) {
    cancelCallbacks.add(callback);
    if (cancelled) {
      callback.run();
    }
  }

  public boolean isCancelled() {
    return cancelled;
  }

  public synchronized void end() {
    flush();
    if (write(ExchangeFrame.newBuilder().setEnd(End.getDefaultInstance()).build())) {
      complete();
    }
  }

  public synchronized void fail(int httpStatus, String message) {
    flush();
    if (write(ExchangeFrame.newBuilder()
        .setError(ExchangeError.newBuilder().setHttpStatus(httpStatus).setMessage(message))
        .build())) {
      complete();
    }
  }

  private void complete() {
    finished = true;
    stream.onCompleted();
    onDone.run();
  }

  private boolean write(ExchangeFrame frame) {
    if (finished || cancelled) {
      return false;
    }
    stream.onNext(frame);
    return true;
  }

  // ---- gRPC side ----

  @Override
  public void beforeStart(ClientCallStreamObserver<ExchangeFrame> requestStream) {
    this.stream = requestStream;
    requestStream.setOnReadyHandler(() -> readyCallbacks.forEach(Runnable::run));
  }

  synchronized void attach() {
    stream.onNext(ExchangeFrame.newBuilder().setAttach(Attach.newBuilder().setExchangeId(id)).build());
  }

  @Override
  public void onNext(ExchangeFrame frame) {
    switch (frame.getBodyCase()) {
      case CHUNK -> {
        if (bodyBuffer.size() + frame.getChunk().size() > maxBodyBytes) {
          fail(413, "request body exceeds " + maxBodyBytes + " bytes, the agent's limit");
          body.completeExceptionally(new IllegalStateException("request body too large"));
          return;
        }
        bodyBuffer.writeBytes(frame.getChunk().toByteArray());
      }
      case END -> body.complete(bodyBuffer.toByteArray());
      default -> fail(400, "malformed exchange from the hub: unexpected " + frame.getBodyCase() + " frame");
    }
  }

  @Override
  public void onError(Throwable t) {
    boolean wasFinished;
    synchronized (this) {
      wasFinished = finished;
      finished = true;
    }
    cancelled = true;
    body.completeExceptionally(Status.fromThrowable(t).asRuntimeException());
    cancelCallbacks.forEach(Runnable::run);
    if (!wasFinished) {
      onDone.run();
    }
  }

  @Override
  public void onCompleted() {
    // The hub completes its half after our end frame; nothing more to do.
  }
}
