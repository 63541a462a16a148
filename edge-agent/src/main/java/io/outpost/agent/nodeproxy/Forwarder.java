package io.outpost.agent.nodeproxy;

import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards one request to the API server with the proxy's own credentials and streams the answer
 * back, reading more from upstream only once the previous chunk was flushed to the client. Reads
 * go out with {@code Accept: application/json} so that they can be recorded; GET and LIST answers
 * are recorded when complete, watch events as they pass.
 */
final class Forwarder {

  private static final Logger log = LoggerFactory.getLogger(Forwarder.class);

  private static final Set<String> SKIPPED_REQUEST_HEADERS = Set.of("connection", "keep-alive", "transfer-encoding",
      "content-length", "upgrade", "host", "authorization", "content-type", "accept", "accept-encoding",
      "user-agent", "expect", "proxy-connection", "te");
  private static final Set<String> SKIPPED_RESPONSE_HEADERS = Set.of("connection", "keep-alive",
      "transfer-encoding", "content-length", "upgrade");

  /** What to do when the API server could not be reached at all (no answer started). */
  interface Fallback {
    void unreachable(String why);
  }

  private final URI apiserver;
  private final HttpClient http;
  private final Recorder recorder;
  private final UpstreamHealth health;
  private final int maxRecordedBodyBytes;
  private final LongAdder tooLargeToCache;
  private final DiscoveryCache discovery;

  Forwarder(URI apiserver, HttpClient http, Recorder recorder, UpstreamHealth health, int maxRecordedBodyBytes,
            LongAdder tooLargeToCache, DiscoveryCache discovery) {
    this.discovery = discovery;
    this.tooLargeToCache = tooLargeToCache;
    this.apiserver = apiserver;
    this.http = http;
    this.recorder = recorder;
    this.health = health;
    this.maxRecordedBodyBytes = maxRecordedBodyBytes;
  }

  void forward(ChannelHandlerContext ctx, FullHttpRequest in, URI target, boolean keepAlive, String client,
               ApiRequest request, byte[] body, Fallback fallback) {
    boolean read = request.verb() == ApiRequest.Verb.GET || request.verb() == ApiRequest.Verb.LIST
        || request.verb() == ApiRequest.Verb.WATCH;
    HttpRequest.Builder out = http.newHttpRequestBuilder().uri(target).forStreaming();
    for (Map.Entry<String, String> header : in.headers()) {
      if (!SKIPPED_REQUEST_HEADERS.contains(header.getKey().toLowerCase(Locale.ROOT))) {
        out.header(header.getKey(), header.getValue());
      }
    }
    String accept = in.headers().get(HttpHeaderNames.ACCEPT);
    out.setHeader("Accept", read ? "application/json" : (accept == null ? "application/json" : accept));
    String userAgent = in.headers().get(HttpHeaderNames.USER_AGENT);
    if (userAgent != null) {
      out.setHeader("User-Agent", userAgent);
    }
    if (body.length > 0 || !in.method().name().equals("GET")) {
      out.method(in.method().name(), in.headers().get(HttpHeaderNames.CONTENT_TYPE), new ByteArrayInputStream(body),
          (long) body.length);
    }
    Recorder.WatchTap tap = request.verb() == ApiRequest.Verb.WATCH ? recorder.watchTap(client, request) : null;
    String path = new io.netty.handler.codec.http.QueryStringDecoder(in.uri()).path();
    String discoveryKey = DiscoveryCache.isDiscovery(in.method().name(), path) ? DiscoveryCache.key(path, accept)
        : null;
    RecordedBody whole = request.verb() == ApiRequest.Verb.GET || request.verb() == ApiRequest.Verb.LIST
        || discoveryKey != null ? new RecordedBody(maxRecordedBodyBytes) : null;
    http.consumeBytes(out.build(), (List<ByteBuffer> buffers, AsyncBody asyncBody) -> {
      byte[] bytes = concat(buffers);
      if (tap != null) {
        tap.accept(bytes);
      }
      if (whole != null) {
        whole.add(bytes);
      }
      ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(bytes))).addListener(f -> {
        if (f.isSuccess()) {
          asyncBody.consume();
        } else {
          asyncBody.cancel();
        }
      });
    }).whenComplete((response, error) -> {
      if (error != null) {
        String why = rootMessage(error);
        health.recordFailure(why);
        log.debug("{} {} for {} did not reach the API server: {}", request.method(), target.getPath(), client, why);
        if (read) {
          fallback.unreachable(why);
        } else {
          Responses.status(ctx, keepAlive, 503, "ServiceUnavailable", "the API server (" + apiserver
              + ") is unreachable from this node: " + why, Map.of("Retry-After", "5"));
        }
        return;
      }
      respond(ctx, keepAlive, client, request, response, whole, discoveryKey);
    });
  }

  private void respond(ChannelHandlerContext ctx, boolean keepAlive, String client, ApiRequest request,
                       HttpResponse<AsyncBody> response, RecordedBody whole, String discoveryKey) {
    AsyncBody body = response.body();
    // Removed again when the answer is done: on a keep-alive connection that serves thousands of
    // requests, each listener would otherwise keep its answer's buffers reachable until the
    // connection closes (the benchmark ran a 128 MiB heap out of memory that way).
    GenericFutureListener<Future<? super Void>> cancelOnClose = f -> body.cancel();
    ctx.channel().closeFuture().addListener(cancelOnClose);
    DefaultHttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1,
        HttpResponseStatus.valueOf(response.code()));
    response.headers().forEach((name, values) -> {
      String lower = name.toLowerCase(Locale.ROOT);
      if (!lower.startsWith(":") && !SKIPPED_RESPONSE_HEADERS.contains(lower)) {
        head.headers().add(name, values);
      }
    });
    head.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    HttpUtil.setKeepAlive(head, keepAlive);
    ctx.writeAndFlush(head);
    body.done().whenComplete((ignored, error) -> {
      ctx.channel().closeFuture().removeListener(cancelOnClose);
      if (error != null) {
        log.debug("the API server broke off the answer to {} {}: {}", request.method(), request.resource(),
            rootMessage(error));
        ctx.close();
        return;
      }
      // Queue the answer's cache write before the client sees its end: a client that lists then
      // watches cannot get a watch event queued (and committed) ahead of the list it follows.
      if (whole != null && whole.tooBig()) {
        tooLargeToCache.increment();
        log.debug("not caching the answer to {} {} for {}: larger than {} bytes", request.method(),
            request.resource(), client, maxRecordedBodyBytes);
      } else if (discoveryKey != null && response.code() == 200) {
        discovery.put(discoveryKey, response.header("Content-Type"), whole.bytes());
      } else if (whole != null) {
        recorder.recordAnswer(client, request, response.code(), whole.bytes());
      }
      var last = ctx.writeAndFlush(new DefaultLastHttpContent());
      if (!keepAlive) {
        last.addListener(ChannelFutureListener.CLOSE);
      }
    });
    body.consume();
  }

  private static byte[] concat(List<ByteBuffer> buffers) {
    int size = 0;
    for (ByteBuffer b : buffers) {
      size += b.remaining();
    }
    byte[] out = new byte[size];
    int at = 0;
    for (ByteBuffer b : buffers) {
      int n = b.remaining();
      b.get(out, at, n);
      at += n;
    }
    return out;
  }

  static String rootMessage(Throwable error) {
    Throwable t = error;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
  }
}
