package io.outpost.sandbox;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;

import java.net.BindException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The sandbox's public apiserver endpoint on 127.0.0.1: answers what the fabric8 mock cannot
 * (discovery, OpenAPI, HTTP watches, pod logs, health) and forwards every other request to the
 * {@link MockBackend}.
 *
 * <p>A separate front is needed because the mock buffers each response whole: it cannot stream a
 * {@code kubectl logs -f} or a {@code kubectl get -w}. It runs on Vert.x (already there for the
 * mock) rather than the JDK's HTTP server, which leaves Nagle's algorithm on and so adds a ~40 ms
 * delayed-ACK stall to every response, and cannot tell when a streaming client hangs up.
 * Requests are read on the event loop and served on worker threads, where blocking is fine.
 */
final class ApiFront implements AutoCloseable {

  private static final Pattern POD_LOG = Pattern.compile("/api/v1/namespaces/([^/]+)/pods/([^/]+)/log");
  private static final Set<String> CRUD_METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE");
  private static final long START_TIMEOUT_SECONDS = 10;

  private final Vertx vertx;
  private final ExecutorService workers;
  private final MockBackend backend;
  private final CountDownLatch stopping = new CountDownLatch(1);
  private final WatchStreams watches;
  private final PodLogs logs;
  private final OpenApi openApi = new OpenApi();
  private HttpServer server;

  private ApiFront(Vertx vertx, ExecutorService workers, MockBackend backend) {
    this.vertx = vertx;
    this.workers = workers;
    this.backend = backend;
    this.watches = new WatchStreams(backend, stopping);
    this.logs = new PodLogs(backend, stopping);
  }

  /**
   * Listens on 127.0.0.1:{@code port} (0 = any free port), over HTTPS when {@code tls} is given.
   *
   * @throws IllegalStateException when the port cannot be bound
   */
  static ApiFront start(int port, MockBackend backend, String threadPrefix, SandboxTls tls) {
    // One event loop is plenty: it only parses requests and moves bytes.
    Vertx vertx = Vertx.vertx(new VertxOptions()
        .setEventLoopPoolSize(1)
        .setWorkerPoolSize(1)
        .setInternalBlockingPoolSize(1)
        .setUseDaemonThread(true));
    // Unbounded pool: watches and followed logs each hold a thread for as long as they stream.
    ExecutorService workers = Executors.newCachedThreadPool(daemonThreads(threadPrefix));
    ApiFront front = new ApiFront(vertx, workers, backend);
    HttpServerOptions options = new HttpServerOptions()
        .setHost("127.0.0.1")
        .setPort(port)
        .setTcpNoDelay(true)
        // HTTP/1.1 only, like the mock: the JDK client's h2c upgrade offers are simply not taken.
        .setHttp2ClearTextEnabled(false);
    if (tls != null) {
      options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
          .setCertValue(Buffer.buffer(tls.chainPem()))
          .setKeyValue(Buffer.buffer(tls.keyPem())));
      // A real apiserver encrypts with Go's assembly AES-GCM; OpenSSL (BoringSSL from
      // netty-tcnative, on the class path for the hub) is the closer match than the JDK's engine.
      if (OpenSSLEngineOptions.isAvailable()) {
        options.setSslEngineOptions(new OpenSSLEngineOptions());
      }
    }
    try {
      front.server = await(vertx.createHttpServer(options).requestHandler(front::accept).listen());
      return front;
    } catch (RuntimeException e) {
      front.close();
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof BindException) {
        throw new IllegalStateException("cannot listen on 127.0.0.1:" + port + " (" + cause.getMessage()
            + "): another process uses it; pick another port or 0 for any free one", cause);
      }
      throw new IllegalStateException("cannot open the sandbox apiserver on 127.0.0.1:" + port, cause);
    }
  }

  int port() {
    return server.actualPort();
  }

  /** On the event loop: watch for the client leaving, read the body, then serve on a worker. */
  private void accept(HttpServerRequest request) {
    CountDownLatch clientGone = Exchange.watchForDisconnect(request);
    request.body()
        .onSuccess(body -> {
          Exchange exchange = new Exchange(request, body.getBytes(), clientGone);
          try {
            workers.execute(() -> serve(exchange));
          } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
            exchange.sendJson(503, ApiStatus.failure(503, "ServiceUnavailable", "the sandbox is shutting down"));
          }
        })
        .onFailure(error -> request.response().setStatusCode(400).end());
  }

  private void serve(Exchange exchange) {
    try {
      route(exchange);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      // Only answer if nothing was sent yet; a broken stream has no one left to tell.
      if (!exchange.answered()) {
        try {
          exchange.sendJson(500, ApiStatus.failure(500, "InternalError", "the Outpost sandbox failed to serve "
              + exchange.method() + " " + exchange.path() + ": " + e));
        } catch (IllegalStateException clientGone) {
          // the connection is closed already
        }
      }
    }
  }

  private void route(Exchange exchange) throws Exception {
    String method = exchange.method();
    String path = exchange.path();

    if (isStreamUpgrade(exchange)) {
      rejectUpgrade(exchange);
      return;
    }
    if (method.equals("GET")) {
      Optional<String> document = discovery(path).or(() -> openApiDocument(path));
      if (document.isPresent()) {
        exchange.sendJson(200, document.get());
        return;
      }
      if (isDiscoveryPath(path) || path.startsWith("/openapi/")) {
        // Unknown group versions, and OpenAPI v2 which the sandbox does not serve (see OpenApi).
        exchange.sendJson(404, ApiStatus.failure(404, "NotFound", "the server could not find the requested resource"));
        return;
      }
      if (path.equals("/healthz") || path.equals("/livez") || path.equals("/readyz")) {
        exchange.send(200, Exchange.TEXT, "ok".getBytes(StandardCharsets.UTF_8));
        return;
      }
      Matcher log = POD_LOG.matcher(path);
      if (log.matches()) {
        logs.serve(exchange, log.group(1), log.group(2));
        return;
      }
      if (exchange.queryFlag("watch")) {
        watches.serve(exchange);
        return;
      }
    }
    if (!CRUD_METHODS.contains(method)) {
      exchange.sendJson(405, ApiStatus.failure(405, "MethodNotAllowed",
          method + " is not supported by the Outpost sandbox"));
      return;
    }
    if (method.equals("PATCH") && !supportedPatch(exchange.header("Content-Type"))) {
      exchange.sendJson(415, ApiStatus.failure(415, "UnsupportedMediaType", "the Outpost sandbox (fabric8 mock) "
          + "accepts only JSON patch and JSON merge patch, not " + exchange.header("Content-Type")
          + ": use kubectl patch --type=merge or --type=json, kubectl replace, or delete and apply again"));
      return;
    }
    forward(exchange);
  }

  private Optional<String> discovery(String path) {
    switch (path) {
      case "/":
        return Optional.of(Discovery.rootPathsJson());
      case "/version":
        return Optional.of(Discovery.versionJson());
      case "/api":
        return Optional.of(Discovery.coreVersionsJson("127.0.0.1:" + port()));
      case "/apis":
        return Optional.of(Discovery.groupListJson());
      case "/api/v1":
        return Discovery.resourceListJson("v1");
      default:
        String[] segments = path.substring(1).split("/");
        if (segments.length == 3 && segments[0].equals("apis")) {
          return Discovery.resourceListJson(segments[1] + "/" + segments[2]);
        }
        return Optional.empty();
    }
  }

  private Optional<String> openApiDocument(String path) {
    return path.equals("/openapi/v3") ? Optional.of(openApi.root()) : openApi.document(path);
  }

  /** {@code /api/VERSION}, {@code /apis/GROUP} and {@code /apis/GROUP/VERSION}: never object paths. */
  private static boolean isDiscoveryPath(String path) {
    String[] segments = path.substring(1).split("/");
    return (segments[0].equals("api") && segments.length == 2)
        || (segments[0].equals("apis") && segments.length <= 3);
  }

  /**
   * WebSocket or SPDY upgrades (watch over WebSocket, exec, attach, port-forward). An {@code h2c}
   * upgrade offer, which the JDK HTTP client sends by default, is not one: it is ignored.
   */
  private static boolean isStreamUpgrade(Exchange exchange) {
    String upgrade = exchange.header("Upgrade");
    return upgrade != null && !upgrade.toLowerCase(Locale.ROOT).startsWith("h2c");
  }

  private static void rejectUpgrade(Exchange exchange) {
    if (exchange.queryFlag("watch")) {
      // fabric8 first tries a WebSocket watch and, as with kubectl proxy, falls back to a plain
      // HTTP watch when the handshake is answered with 200.
      exchange.sendJson(200, ApiStatus.failure(200, "WebSocketUnsupported",
          "the Outpost sandbox serves watches over plain HTTP only"));
      return;
    }
    exchange.sendJson(400, ApiStatus.badRequest("upgrade to '" + exchange.header("Upgrade")
        + "' is not supported by the Outpost sandbox: exec, attach and port-forward are not available"));
  }

  /** The mock implements JSON patch and JSON merge patch; strategic-merge and apply patches get a 415 from it. */
  private static boolean supportedPatch(String contentType) {
    return contentType != null && (contentType.startsWith("application/json-patch+json")
        || contentType.startsWith("application/merge-patch+json"));
  }

  private void forward(Exchange exchange) throws Exception {
    String pathAndQuery = exchange.rawQuery().isEmpty() ? exchange.path() : exchange.path() + "?" + exchange.rawQuery();
    HttpResponse<byte[]> answer = backend.send(exchange.method(), pathAndQuery,
        exchange.header("Content-Type"), exchange.body());
    byte[] out = answer.body();
    if (answer.statusCode() == 404 && out.length == 0) {
      // The mock answers a missing object with an empty 404; clients expect a NotFound Status.
      out = notFoundStatus(exchange.path()).getBytes(StandardCharsets.UTF_8);
    }
    String contentType = answer.headers().firstValue("Content-Type").orElse(out.length > 0 ? Exchange.JSON : null);
    exchange.send(answer.statusCode(), contentType, out);
  }

  /** {@code /api/v1/namespaces/ns/pods/x} gives {@code pods "x" not found}. */
  private static String notFoundStatus(String path) {
    String[] segments = path.substring(1).split("/");
    int resourceAt = segments[0].equals("api") ? 2 : 3;
    if (segments.length > resourceAt + 2 && segments[resourceAt].equals("namespaces")) {
      resourceAt += 2;
    }
    if (segments.length > resourceAt + 1) {
      return ApiStatus.notFound(segments[resourceAt], segments[resourceAt + 1]);
    }
    return ApiStatus.failure(404, "NotFound", "the server could not find the requested resource");
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return task -> {
      Thread thread = new Thread(task, prefix + "-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }

  private static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for Vert.x", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("Vert.x did not answer within " + START_TIMEOUT_SECONDS + " s", e);
    }
  }

  /** Ends open watches and log streams, closes every connection and stops the threads. */
  @Override
  public void close() {
    stopping.countDown();
    try {
      // Streams notice `stopping` within a poll interval; let them let go of the mock's watches
      // properly (see WatchStreams) before the connections are cut.
      workers.shutdown();
      if (!workers.awaitTermination(3, TimeUnit.SECONDS)) {
        workers.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      workers.shutdownNow();
    } finally {
      try {
        if (server != null) {
          await(server.close());
        }
      } finally {
        await(vertx.close());
      }
    }
  }
}
