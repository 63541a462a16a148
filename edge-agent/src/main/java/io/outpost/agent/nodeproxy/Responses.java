package io.outpost.agent.nodeproxy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Map;

/** Writing whole answers and Kubernetes {@code Status} objects. */
final class Responses {

  /**
   * The node proxy reads and writes JSON with Jackson's streaming API only: an {@code ObjectMapper}
   * would load ~310 databind classes (~3 MiB of class metadata on every node) for the few fields
   * the proxy looks at.
   */
  static final JsonFactory JSON = new JsonFactory();

  private Responses() {}

  static void json(ChannelHandlerContext ctx, boolean keepAlive, int code, byte[] body, Map<String, String> headers) {
    json(ctx, keepAlive, code, Unpooled.wrappedBuffer(body), headers);
  }

  /** Writes {@code body} as the whole answer; the response releases it once written. */
  static void json(ChannelHandlerContext ctx, boolean keepAlive, int code, ByteBuf body, Map<String, String> headers) {
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(code),
        body);
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    headers.forEach((name, value) -> response.headers().set(name, value));
    HttpUtil.setContentLength(response, body.readableBytes());
    HttpUtil.setKeepAlive(response, keepAlive);
    var future = ctx.writeAndFlush(response);
    if (!keepAlive) {
      future.addListener(ChannelFutureListener.CLOSE);
    }
  }

  static void text(ChannelHandlerContext ctx, boolean keepAlive, int code, String text, String contentType) {
    json(ctx, keepAlive, code, text.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        Map.of(HttpHeaderNames.CONTENT_TYPE.toString(), contentType));
  }

  static void status(ChannelHandlerContext ctx, boolean keepAlive, int code, String reason, String message,
                     Map<String, String> headers) {
    json(ctx, keepAlive, code, statusJson(code, reason, message), headers);
  }

  /** A Kubernetes {@code Status} object. */
  static byte[] statusJson(int code, String reason, String message) {
    return write(status -> {
      status.writeStartObject();
      status.writeStringField("kind", "Status");
      status.writeStringField("apiVersion", "v1");
      status.writeObjectFieldStart("metadata");
      status.writeEndObject();
      status.writeStringField("status", "Failure");
      status.writeStringField("message", message);
      status.writeStringField("reason", reason);
      status.writeNumberField("code", code);
      status.writeEndObject();
    });
  }

  /** What {@code body} writes with a JSON generator, as bytes. */
  static byte[] write(JsonBody body) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(256);
    try (JsonGenerator json = JSON.createGenerator(out)) {
      body.write(json);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e); // a byte array does not fail to write
    }
    return out.toByteArray();
  }

  /** Writes one JSON value. */
  interface JsonBody {
    void write(JsonGenerator json) throws java.io.IOException;
  }
}
