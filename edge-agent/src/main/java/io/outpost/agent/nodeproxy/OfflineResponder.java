package io.outpost.agent.nodeproxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.outpost.cache.objects.CachedObject;
import io.outpost.cache.objects.ListResult;
import io.outpost.cache.objects.ListScope;
import io.outpost.cache.objects.ObjectCache;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Answers while the API server is unreachable:
 * <ul>
 *   <li>GET and LIST from the client's cache, selectors applied, kind and apiVersion added; a LIST
 *       the cache holds nothing for, or an object it never saw, is a 503 {@code Status}, never an
 *       empty list (an empty pod list makes a kubelet kill its pods);</li>
 *   <li>WATCH: 200, held open without events (one BOOKMARK when {@code allowWatchBookmarks=true}
 *       and a resourceVersion is known) until the API server is healthy again, then ended with an
 *       ERROR event {@code 410 Expired} so the client relists (and the relist refreshes the cache);</li>
 *   <li>writes: 503 with {@code Retry-After}, except the kubelet's heartbeats ({@link KubeletWrites}),
 *       which are acknowledged and dropped.</li>
 * </ul>
 */
final class OfflineResponder {

  private static final byte[] LIST_END = {']', '}'};
  private static final byte[] NEWLINE = {'\n'};

  private final ObjectCache cache;
  private final Kinds kinds;
  private final UpstreamHealth health;
  private final NodeProxySettings settings;

  OfflineResponder(ObjectCache cache, Kinds kinds, UpstreamHealth health, NodeProxySettings settings) {
    this.cache = cache;
    this.kinds = kinds;
    this.health = health;
    this.settings = settings;
  }

  void serve(ChannelHandlerContext ctx, boolean keepAlive, String client, ApiRequest request, byte[] body) {
    boolean read = request.verb() == ApiRequest.Verb.GET || request.verb() == ApiRequest.Verb.LIST;
    if (read && !settings.allowlist().caches(client)) {
      unavailable(ctx, keepAlive, "client " + client + " is not cached (the cache allowlist holds "
          + settings.allowlist() + ")");
      return;
    }
    try {
      switch (request.verb()) {
        case GET -> get(ctx, keepAlive, client, request);
        case LIST -> list(ctx, keepAlive, client, request);
        case WATCH -> holdWatch(ctx, client, request);
        case WRITE -> write(ctx, keepAlive, client, request, body);
        case OTHER -> unavailable(ctx, keepAlive, "the proxy does not cache " + request.method()
            + " requests of this kind");
      }
    } catch (RuntimeException | IOException e) {
      unavailable(ctx, keepAlive, "the node proxy could not read its cache: " + e);
    }
  }

  private void get(ChannelHandlerContext ctx, boolean keepAlive, String client, ApiRequest request)
      throws IOException {
    Optional<CachedObject> object = cache.get(client, request.resource(), request.namespace(), request.name());
    if (object.isEmpty()) {
      unavailable(ctx, keepAlive, "no cached copy of " + request.resource() + " "
          + (request.namespaced() ? request.namespace() + "/" : "") + request.name() + " for client " + client);
      return;
    }
    Responses.json(ctx, keepAlive, 200, Unpooled.wrappedBuffer(TypeMeta.typed(object.get().jsonView(),
        kinds.kindOf(request), request.apiVersion())), Map.of());
  }

  /**
   * The list is written around the cached items' own bytes (typed when recorded, see
   * {@link TypeMeta}): no JSON is parsed, and the bytes are copied once, into a pooled buffer from
   * the channel's allocator (a composite of heap views would be merged into a fresh heap buffer on
   * its way to the socket: 0.7 MB of garbage per 1,000-pod list).
   */
  private void list(ChannelHandlerContext ctx, boolean keepAlive, String client, ApiRequest request)
      throws IOException {
    ListScope scope;
    try {
      scope = Recorder.scope(client, request);
    } catch (IllegalArgumentException e) {
      unavailable(ctx, keepAlive, "cannot answer this list from the cache: " + e.getMessage());
      return;
    }
    if (!(cache.list(scope) instanceof ListResult.Found found)) {
      unavailable(ctx, keepAlive, "the cache holds no list of " + scope + "; not answering an empty list");
      return;
    }
    String kind = kinds.kindOf(request);
    byte[] head = listHead(kind + "List", request.apiVersion(), found.resourceVersion());
    ByteBuffer[] items = new ByteBuffer[found.items().size()];
    int length = head.length + LIST_END.length + Math.max(0, items.length - 1);
    for (int i = 0; i < items.length; i++) {
      items[i] = TypeMeta.typed(found.items().get(i).jsonView(), kind, request.apiVersion());
      length += items[i].remaining();
    }
    ByteBuf answer = ctx.alloc().ioBuffer(length);
    answer.writeBytes(head);
    for (int i = 0; i < items.length; i++) {
      if (i > 0) {
        answer.writeByte(',');
      }
      answer.writeBytes(items[i]);
    }
    answer.writeBytes(LIST_END);
    Responses.json(ctx, keepAlive, 200, answer, Map.of());
  }

  private static byte[] listHead(String kind, String apiVersion, String resourceVersion) {
    byte[] head = Responses.write(list -> {
      list.writeStartObject();
      list.writeStringField("kind", kind);
      list.writeStringField("apiVersion", apiVersion);
      list.writeObjectFieldStart("metadata");
      list.writeStringField("resourceVersion", resourceVersion);
      list.writeEndObject();
      list.writeEndObject();
    });
    // {"kind":…,"metadata":{…}} → {"kind":…,"metadata":{…},"items":[
    return (new String(head, 0, head.length - 1, StandardCharsets.UTF_8) + ",\"items\":[")
        .getBytes(StandardCharsets.UTF_8);
  }

  private void holdWatch(ChannelHandlerContext ctx, String client, ApiRequest request) {
    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    head.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    head.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    ctx.write(head);
    String rv = request.param("resourceVersion");
    if ("true".equals(request.param("allowWatchBookmarks"))) {
      if (rv == null || rv.isEmpty() || rv.equals("0")) {
        rv = cachedListVersion(client, request);
      }
      if (rv != null) {
        String version = rv;
        byte[] bookmark = Responses.write(event -> {
          event.writeStartObject();
          event.writeStringField("type", "BOOKMARK");
          event.writeObjectFieldStart("object");
          event.writeStringField("kind", kinds.kindOf(request));
          event.writeStringField("apiVersion", request.apiVersion());
          event.writeObjectFieldStart("metadata");
          event.writeStringField("resourceVersion", version);
          event.writeEndObject();
          event.writeEndObject();
          event.writeEndObject();
        });
        ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(bookmark, NEWLINE)));
      }
    }
    ctx.flush();
    // End the held watch once the API server is back with a 410 Gone event: a watch that merely
    // ends is resumed from its last resourceVersion (client-go and fabric8 both do), which does not
    // refresh the cached list; "Expired" makes the client relist, so the relist is recorded and
    // objects deleted during the outage leave the cache.
    long interval = settings.health().probeInterval().toMillis();
    ScheduledFuture<?>[] tick = new ScheduledFuture<?>[1];
    tick[0] = ctx.executor().scheduleAtFixedRate(() -> {
      if (health.isHealthy() && ctx.channel().isActive()) {
        tick[0].cancel(false);
        ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(expiredEvent())));
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
      }
    }, interval, interval, TimeUnit.MILLISECONDS);
    ctx.channel().closeFuture().addListener(f -> tick[0].cancel(false));
  }

  private static byte[] expiredEvent() {
    byte[] status = Responses.statusJson(410, "Expired", "the API server is reachable again after an outage; this"
        + " watch was served by the node proxy from its cache, relist to catch up");
    byte[] head = "{\"type\":\"ERROR\",\"object\":".getBytes(StandardCharsets.UTF_8);
    byte[] event = java.util.Arrays.copyOf(head, head.length + status.length + 2);
    System.arraycopy(status, 0, event, head.length, status.length);
    event[event.length - 2] = '}';
    event[event.length - 1] = '\n';
    return event;
  }

  private String cachedListVersion(String client, ApiRequest request) {
    try {
      return cache.list(Recorder.scope(client, request)) instanceof ListResult.Found found
          ? found.resourceVersion() : null;
    } catch (RuntimeException e) {
      return null;
    }
  }

  private void write(ChannelHandlerContext ctx, boolean keepAlive, String client, ApiRequest request, byte[] body)
      throws IOException {
    Optional<byte[]> ack = KubeletWrites.acknowledge(request, body,
        () -> cache.get(client, request.resource(), request.namespace(), request.name()).map(CachedObject::json));
    if (ack.isPresent()) {
      byte[] answer = TypeMeta.typed(ack.get(), kinds.kindOf(request), request.apiVersion());
      Responses.json(ctx, keepAlive, request.method().equals("POST") ? 201 : 200, answer,
          Map.of("Warning", "299 - \"outpost node proxy: API server unreachable; this write was acknowledged"
              + " locally and dropped\""));
      return;
    }
    Responses.status(ctx, keepAlive, 503, "ServiceUnavailable", "the API server is unreachable from this node"
            + " (outage " + health.outages() + "); " + request.method() + " of " + request.resource()
            + " was not applied, retry later",
        Map.of("Retry-After", Integer.toString(settings.retryAfterSeconds())));
  }

  private void unavailable(ChannelHandlerContext ctx, boolean keepAlive, String why) {
    String noCache = cache instanceof NoCache ? "; the node proxy runs without a cache: " + cache : "";
    Responses.status(ctx, keepAlive, 503, "ServiceUnavailable",
        "the API server is unreachable from this node and " + why + noCache,
        Map.of("Retry-After", Integer.toString(settings.retryAfterSeconds())));
  }
}
