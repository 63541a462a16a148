package io.outpost.agent.nodeproxy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

  static final ObjectMapper JSON = new ObjectMapper();

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
    ObjectNode status = JSON.createObjectNode();
    status.put("kind", "Status");
    status.put("apiVersion", "v1");
    status.putObject("metadata");
    status.put("status", "Failure");
    status.put("message", message);
    status.put("reason", reason);
    status.put("code", code);
    try {
      return JSON.writeValueAsBytes(status);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
