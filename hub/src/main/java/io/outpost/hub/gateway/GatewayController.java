package io.outpost.hub.gateway;

import com.google.protobuf.ByteString;
import io.micronaut.context.annotation.Requires;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.core.io.buffer.ByteBufferFactory;
import io.micronaut.core.io.buffer.ReadBuffer;
import io.micronaut.buffer.netty.NettyReadBufferFactory;
import io.micronaut.http.body.ByteBody;
import io.micronaut.http.body.ByteBodyFactory;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Patch;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.Put;
import io.outpost.hub.config.HubSettings;
import io.outpost.hub.registry.ClusterRecord;
import io.outpost.hub.registry.ClusterRegistry;
import io.outpost.tunnel.ApiPaths;
import io.outpost.tunnel.proto.Header;
import io.outpost.tunnel.proto.RequestHead;
import io.outpost.tunnel.proto.ResponseHead;
import io.outpost.tunnel.server.AgentSession;
import io.outpost.tunnel.server.ExchangeRejectedException;
import io.outpost.tunnel.server.HubExchange;
import io.outpost.tunnel.server.TunnelServer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

/**
 * {@code https://HUB/clusters/{name}/k8s/...} is a Kubernetes API endpoint for member cluster
 * {@code name}: each request rides its own tunnel stream to the cluster's agent, which sends it
 * to its apiserver. Errors are Kubernetes {@code Status} objects naming the cluster.
 */
@Controller("/clusters/{cluster}/k8s")
@Requires(beans = TunnelServer.class)
public class GatewayController {

  /** Request headers worth passing on. Authorization stays here: the agent uses its own credentials. */
  private static final Set<String> FORWARDED_REQUEST_HEADERS =
      Set.of("accept", "content-type", "user-agent", "audit-id", "x-request-id");
  private static final Set<String> HOP_BY_HOP_RESPONSE_HEADERS =
      Set.of("connection", "keep-alive", "transfer-encoding", "content-length", "upgrade");

  private final TunnelServer tunnel;
  private final ClusterRegistry registry;
  private final int maxBodyBytes;
  private final ByteBodyFactory bodies;
  private final NettyReadBufferFactory nettyBuffers = NettyReadBufferFactory.of(ByteBufAllocator.DEFAULT);

  public GatewayController(TunnelServer tunnel, ClusterRegistry registry, HubSettings settings,
      ByteBufferFactory<?, ?> bufferFactory) {
    this.tunnel = tunnel;
    this.registry = registry;
    this.maxBodyBytes = settings.getMaxRequestBodyBytes();
    this.bodies = ByteBodyFactory.createDefault(bufferFactory);
  }

  @Get(uri = "/{+path}", consumes = MediaType.ALL, produces = MediaType.ALL)
  Publisher<MutableHttpResponse<ByteBody>> get(String cluster, String path, HttpRequest<?> request) {
    return proxy(cluster, path, request, null);
  }

  @Delete(uri = "/{+path}", consumes = MediaType.ALL, produces = MediaType.ALL)
  Publisher<MutableHttpResponse<ByteBody>> delete(String cluster, String path, HttpRequest<?> request,
      @Nullable @Body byte[] body) {
    return proxy(cluster, path, request, body);
  }

  @Post(uri = "/{+path}", consumes = MediaType.ALL, produces = MediaType.ALL)
  Publisher<MutableHttpResponse<ByteBody>> post(String cluster, String path, HttpRequest<?> request,
      @Nullable @Body byte[] body) {
    return proxy(cluster, path, request, body);
  }

  @Put(uri = "/{+path}", consumes = MediaType.ALL, produces = MediaType.ALL)
  Publisher<MutableHttpResponse<ByteBody>> put(String cluster, String path, HttpRequest<?> request,
      @Nullable @Body byte[] body) {
    return proxy(cluster, path, request, body);
  }

  @Patch(uri = "/{+path}", consumes = MediaType.ALL, produces = MediaType.ALL)
  Publisher<MutableHttpResponse<ByteBody>> patch(String cluster, String path, HttpRequest<?> request,
      @Nullable @Body byte[] body) {
    return proxy(cluster, path, request, body);
  }

  private Publisher<MutableHttpResponse<ByteBody>> proxy(String cluster, String path, HttpRequest<?> request, byte[] body) {
    String target = "/" + path;
    try {
      ApiPaths.check(target);
    } catch (IllegalArgumentException e) {
      return Mono.just(error(400, e.getMessage()));
    }
    Optional<ClusterRecord> record = registry.get(cluster);
    if (record.isEmpty()) {
      return Mono.just(error(404, "cluster \"" + cluster + "\" is not registered at this hub;"
          + " 'outpost clusters' lists the clusters it knows"));
    }
    Optional<AgentSession> session = tunnel.session(cluster);
    if (session.isEmpty()) {
      return Mono.just(error(503, "cluster \"" + cluster + "\" is offline: its agent is not connected"
          + " (last seen " + Optional.ofNullable(record.get().lastSeen()).orElse("never") + ")"));
    }
    if (body != null && body.length > maxBodyBytes) {
      return Mono.just(error(413, "request body of " + body.length + " bytes for cluster \"" + cluster
          + "\" exceeds the gateway's limit of " + maxBodyBytes + " bytes (outpost.hub.max-request-body-bytes)"));
    }
    ExchangeBridge bridge = new ExchangeBridge();
    HubExchange exchange;
    try {
      exchange = session.get().open(head(request, target, body != null), body == null
          ? ByteString.EMPTY : ByteString.copyFrom(body), bridge);
    } catch (ExchangeRejectedException e) {
      return Mono.just(error(e.httpStatus(), e.getMessage()));
    }
    bridge.bind(exchange);
    // The server cancels this Mono once it has the response; only a cancel before that means the
    // client left. After it, the body publisher's own cancel ends the exchange.
    AtomicBoolean answered = new AtomicBoolean();
    return Mono.fromFuture(bridge.head(), true)
        .<MutableHttpResponse<ByteBody>>map(head -> {
          answered.set(true);
          return respond(head, bridge);
        })
        .onErrorResume(GatewayException.class, e -> Mono.just(error(e.httpStatus(), e.getMessage())))
        .doOnCancel(() -> {
          if (!answered.get()) {
            exchange.cancel("the HTTP client went away before the response");
          }
        });
  }

  private static RequestHead head(HttpRequest<?> request, String path, boolean hasBody) {
    RequestHead.Builder head = RequestHead.newBuilder()
        .setMethod(request.getMethodName())
        .setPath(path)
        .setHasBody(hasBody);
    String query = request.getUri().getRawQuery();
    if (query != null) {
      head.setQuery(query);
    }
    request.getHeaders().forEach((name, values) -> {
      if (FORWARDED_REQUEST_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
        head.addHeaders(Header.newBuilder().setName(name).addAllValues(values));
      }
    });
    return head.build();
  }

  /**
   * Gateway answers are raw byte bodies: given a publisher of chunks with a JSON content type,
   * Micronaut would render them as a JSON array.
   */
  private MutableHttpResponse<ByteBody> error(int code, String message) {
    return HttpResponse.<ByteBody>status(code, KubeStatus.reasonOf(code))
        .contentType(MediaType.APPLICATION_JSON_TYPE)
        .body(bodies.adapt(KubeStatus.failure(code, message).toJson()));
  }

  private MutableHttpResponse<ByteBody> respond(ResponseHead head, ExchangeBridge bridge) {
    MutableHttpResponse<ByteBody> response = HttpResponse.status(head.getStatus(), "");
    for (Header header : head.getHeadersList()) {
      if (!HOP_BY_HOP_RESPONSE_HEADERS.contains(header.getName().toLowerCase(Locale.ROOT))) {
        List<String> values = header.getValuesList();
        values.forEach(v -> response.getHeaders().add(header.getName(), v));
      }
    }
    return response.body(bodies.adapt(bridge.body().map(this::directBuffer)));
  }

  /**
   * Copies a tunnel chunk once, into a pooled direct buffer that the HTTPS server's TLS engine
   * (BoringSSL) encrypts from in place. Handed a heap {@code ByteBuffer}, Micronaut copies it into a
   * fresh byte array per chunk, and Netty's TLS handler then copies that again into direct memory.
   * The copy happens only once the server asked for the chunk, so chunks still queued when a client
   * goes away are plain heap buffers with nothing to release; the server releases what it took.
   */
  private ReadBuffer directBuffer(ByteBuffer chunk) {
    ByteBuf direct = ByteBufAllocator.DEFAULT.directBuffer(chunk.remaining());
    direct.writeBytes(chunk);
    return nettyBuffers.adapt(direct);
  }
}
