package io.outpost.agent.nodeproxy;

import io.fabric8.kubernetes.client.http.HttpClient;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.outpost.cache.objects.ObjectCache;
import io.outpost.tunnel.ApiPaths;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node-local caching API proxy (YurtHub's role): node components (kubelet, kube-proxy, CNI)
 * talk plain HTTP (or HTTPS, {@link NodeProxyTls}) to {@code 127.0.0.1:10261} instead of the API
 * server. While the API server is
 * healthy the proxy forwards every request (streaming, with the proxy's own credentials; only paths
 * below the API server URL) and records GET/LIST/WATCH answers in the {@link ObjectCache} per
 * client identity ({@link ClientIdentity}). While it is not ({@link UpstreamHealth}), the proxy
 * answers from the cache ({@link OfflineResponder}). A read whose forwarding fails to connect is
 * answered from the cache straight away, before the health checker has made up its mind. API
 * discovery answers are kept in memory ({@link DiscoveryCache}) and served while offline too.
 * Cache writes are group-committed ({@link CacheWriter}); {@code GET /outpost/metrics} serves the
 * proxy's own metrics ({@link ProxyMetrics}).
 *
 * <pre>{@code
 * try (ObjectCache cache = DurableObjectCache.open(dataDir.resolve("objects.db"), CacheBudget.defaults());
 *      NodeProxy proxy = NodeProxy.start(URI.create(masterUrl), kubernetes.getHttpClient(), cache,
 *          NodeProxySettings.defaults())) {
 *   proxy.awaitClose();
 * }
 * }</pre>
 *
 * <p>The cache is the caller's: {@link #close()} does not close it.
 */
public final class NodeProxy implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(NodeProxy.class);
  private static final int MAX_REQUEST_BODY_BYTES = 16 << 20;

  private final URI apiserver;
  private final ObjectCache cache;
  private final CacheWriter writer;
  private final ProxyMetrics metrics;
  private final UpstreamHealth health;
  private final Forwarder forwarder;
  private final OfflineResponder offline;
  private final DiscoveryCache discovery = new DiscoveryCache();
  /**
   * Netty's default is two event loops per core, each a thread with its own buffer caches: on a
   * 16-core edge box that is 32 threads and ~8 MiB more resident (BENCHMARKS.md §4, fifth session)
   * for the few connections of one node's components. Two keep a slow cache read on one from
   * stalling every client.
   */
  private static final int EVENT_LOOPS = Math.min(2, Runtime.getRuntime().availableProcessors());

  private final EventLoopGroup group;
  private final Channel server;
  private final AtomicBoolean closed = new AtomicBoolean();

  private NodeProxy(URI apiserver, HttpClient http, ObjectCache cache, NodeProxySettings settings) {
    this.apiserver = apiserver;
    this.cache = cache;
    Kinds kinds = new Kinds();
    this.health = new UpstreamHealth(settings.health(), () -> probe(http, apiserver, settings));
    SslContext ssl = settings.tls().map(NodeProxyTls::serverContext).orElse(null);
    this.writer = new CacheWriter(cache);
    this.metrics = new ProxyMetrics(cache, health, writer, settings.maxRecordedBodyBytes());
    this.forwarder = new Forwarder(apiserver, http, new Recorder(cache, writer, kinds, settings.allowlist()), health,
        settings.maxRecordedBodyBytes(), metrics.tooLargeToCache, discovery);
    this.offline = new OfflineResponder(cache, kinds, health, settings);
    this.group = new MultiThreadIoEventLoopGroup(EVENT_LOOPS, NioIoHandler.newFactory());
    try {
      this.server = new ServerBootstrap()
          .group(group)
          .channel(NioServerSocketChannel.class)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              if (ssl != null) {
                ch.pipeline().addLast(ssl.newHandler(ch.alloc()));
              }
              ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(MAX_REQUEST_BODY_BYTES),
                  new Handler());
            }
          })
          .bind(settings.host(), settings.port()).syncUninterruptibly().channel();
    } catch (RuntimeException e) {
      writer.close();
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw new IllegalStateException("node proxy: cannot listen on " + settings.host() + ":" + settings.port()
          + " (" + e.getMessage() + "); is another node proxy running?", e);
    }
    health.start();
    log.info("node proxy listening on {}://{}:{}, forwarding to {}, caching {}", settings.scheme(), settings.host(),
        port(), apiserver, settings.allowlist());
  }

  /**
   * Starts listening and probing.
   *
   * @param apiserver the API server base URL; only paths below it are ever requested
   * @param http a client carrying the proxy's credentials for that API server (do not let it retry)
   * @throws IllegalStateException when the address is taken
   */
  public static NodeProxy start(URI apiserver, HttpClient http, ObjectCache cache, NodeProxySettings settings) {
    return new NodeProxy(Objects.requireNonNull(apiserver, "apiserver"), Objects.requireNonNull(http, "http"),
        Objects.requireNonNull(cache, "cache"), Objects.requireNonNull(settings, "settings"));
  }

  private static CompletableFuture<Boolean> probe(HttpClient http, URI apiserver, NodeProxySettings settings) {
    URI target = ApiPaths.resolve(apiserver, "/readyz", null);
    return http.sendAsync(http.newHttpRequestBuilder().uri(target)
            .timeout(settings.health().timeout().toMillis(), TimeUnit.MILLISECONDS).build(), byte[].class)
        // Any answer below 500 shows the API server serving (a 401/404 for /readyz included).
        .thenApply(response -> response.code() < 500);
  }

  /** The port the proxy listens on. */
  public int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  public UpstreamHealth health() {
    return health;
  }

  public ObjectCache cache() {
    return cache;
  }

  /** Blocks until the proxy is closed. */
  public void awaitClose() throws InterruptedException {
    server.closeFuture().await();
  }

  /** The metrics page {@code GET /outpost/metrics} answers (Prometheus text format). */
  public String metricsText() {
    return metrics.render();
  }

  /**
   * Stops listening, ends open exchanges, stops probing and commits the queued cache writes.
   * Idempotent; a second caller waits until the first one is done, so that the cache can be closed
   * right after (a shutdown hook and the main thread both close).
   */
  @Override
  public synchronized void close() {
    if (closed.compareAndSet(false, true)) {
      health.close();
      server.close().awaitUninterruptibly();
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
      writer.close();
    }
  }

  private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest in) {
      boolean keepAlive = HttpUtil.isKeepAlive(in);
      QueryStringDecoder uri = new QueryStringDecoder(in.uri());
      URI target;
      try {
        String path = uri.rawPath();
        int q = in.uri().indexOf('?');
        target = ApiPaths.resolve(apiserver, path, q >= 0 ? in.uri().substring(q + 1) : null);
      } catch (IllegalArgumentException e) {
        Responses.status(ctx, keepAlive, 400, "BadRequest", e.getMessage(), Map.of());
        return;
      }
      if (uri.path().equals(ProxyMetrics.PATH) && in.method().name().equals("GET")) {
        Responses.text(ctx, keepAlive, 200, metrics.render(), ProxyMetrics.CONTENT_TYPE);
        return;
      }
      SslHandler tls = ctx.pipeline().get(SslHandler.class);
      String client = ClientIdentity.of(tls == null ? null : tls.engine().getSession(),
          in.headers().get(HttpHeaderNames.USER_AGENT));
      ApiRequest request = ApiRequest.parse(in.method().name(), uri.path(), uri.parameters());
      byte[] body = ByteBufUtil.getBytes(in.content());
      // Discovery is cached too: a kubectl with an empty --cache-dir cannot resolve "pods" without it.
      String discoveryKey = DiscoveryCache.isDiscovery(in.method().name(), uri.path())
          ? DiscoveryCache.key(uri.path(), in.headers().get(HttpHeaderNames.ACCEPT)) : null;
      Runnable fromCache = () -> {
        metrics.answeredFromCache.increment();
        var known = discoveryKey != null ? discovery.get(discoveryKey) : java.util.Optional.<DiscoveryCache.Answer>empty();
        if (known.isPresent()) {
          Responses.json(ctx, keepAlive, 200, known.get().body(),
              Map.of(HttpHeaderNames.CONTENT_TYPE.toString(), known.get().contentType()));
        } else {
          offline.serve(ctx, keepAlive, client, request, body);
        }
      };
      if (health.isHealthy()) {
        metrics.forwarded.increment();
        forwarder.forward(ctx, in, target, keepAlive, client, request, body, why -> fromCache.run());
      } else {
        fromCache.run();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      log.debug("node proxy connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
      ctx.close();
    }
  }
}
