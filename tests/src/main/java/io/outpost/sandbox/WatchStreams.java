package io.outpost.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Serves {@code ?watch=true} as the apiserver does: one chunked HTTP response carrying one JSON
 * watch event per line.
 *
 * <p>kubectl and client-go only watch over plain HTTP, while the fabric8 mock only streams watch
 * events over WebSocket. Each HTTP watch therefore opens a WebSocket watch on the mock and copies
 * its messages (already {@code {"type":..,"object":..}} JSON) into the HTTP response.
 */
final class WatchStreams {

  /** The apiserver closes watches after its request timeout too; clients re-watch from the last version. */
  private static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(30);
  /** How often a quiet watch checks whether the sandbox is shutting down or the watch timed out. */
  private static final long POLL_MILLIS = 250;
  /** See {@link #drainAndClose}. */
  private static final long QUIET_MILLIS = 200;
  private static final long DRAIN_LIMIT_MILLIS = 2000;
  /** Compared by identity: no event from the mock can be this very object. */
  @SuppressWarnings("StringOperationCanBeSimplified")
  private static final String END = new String("end-of-watch");

  private final MockBackend backend;
  private final CountDownLatch stopping;
  private final ObjectMapper json = new ObjectMapper();

  WatchStreams(MockBackend backend, CountDownLatch stopping) {
    this.backend = backend;
    this.stopping = stopping;
  }

  void serve(Exchange exchange) throws InterruptedException {
    long sinceVersion = parseLong(exchange.query().get("resourceVersion"));
    Duration timeout = exchange.query().containsKey("timeoutSeconds")
        ? Duration.ofSeconds(Math.max(1, parseLong(exchange.query().get("timeoutSeconds"))))
        : DEFAULT_TIMEOUT;
    // The mock recognises a watch only by the literal "watch=true" (client-go may also send watch=1).
    String rawQuery = exchange.rawQuery();
    String backendQuery = rawQuery.contains("watch=true") ? rawQuery : rawQuery + "&watch=true";

    BlockingQueue<String> events = new LinkedBlockingQueue<>();
    WebSocket socket;
    try {
      socket = backend.openWatch(exchange.path() + "?" + backendQuery, new Relay(events)).get(10, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      exchange.sendJson(503, ApiStatus.failure(503, "ServiceUnavailable",
          "the sandbox could not open a watch on its mock apiserver: " + e));
      return;
    }
    Exchange.Stream stream = exchange.stream(Exchange.JSON);
    try {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (stopping.getCount() > 0 && System.nanoTime() < deadline && !stream.clientGone()) {
        String event = events.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
        if (event == END) {
          break;
        }
        if (event != null && !alreadyListed(event, sinceVersion)) {
          stream.write(event + "\n");
        }
      }
    } catch (Exchange.ClientGoneException e) {
      // The watcher disconnected (Ctrl-C on kubectl, watch.close()): nothing left to do.
    } finally {
      stream.end();
      drainAndClose(socket, events);
    }
  }

  /**
   * The mock replays every existing object as ADDED when a watch opens, whatever resourceVersion the
   * client asked for. A client that listed first (kubectl get -w, informers) already has those, so
   * drop ADDED events for objects that have not changed since the version it watches from.
   */
  private boolean alreadyListed(String event, long sinceVersion) {
    if (sinceVersion <= 0) {
      return false;
    }
    try {
      JsonNode node = json.readTree(event);
      return "ADDED".equals(node.path("type").asText())
          && parseLong(node.path("object").path("metadata").path("resourceVersion").asText()) <= sinceVersion;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Waits until the mock has been quiet for a moment, then drops the connection.
   *
   * <p>The mock's watch listener sends each event from its own thread and blocks until the Vert.x
   * event loop has written it. When the connection closes, the listener waits on that event loop for
   * its sender to finish, while the sender waits for the event loop: the mock then stalls for its
   * 30 s write timeout, and every request to it with it. Closing only once no event has arrived for
   * {@link #QUIET_MILLIS} makes it very unlikely that a send is in flight. The connection is dropped
   * without a close handshake, which the mock handles the same way and which leaves nothing to await.
   */
  private static void drainAndClose(WebSocket socket, BlockingQueue<String> events) {
    try {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DRAIN_LIMIT_MILLIS);
      while (System.nanoTime() < deadline) {
        String event = events.poll(QUIET_MILLIS, TimeUnit.MILLISECONDS);
        if (event == null || event == END) {
          break;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      socket.abort();
    }
  }

  private static long parseLong(String value) {
    try {
      return value == null || value.isEmpty() ? 0 : Long.parseLong(value);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** Collects the mock's (possibly fragmented) WebSocket text messages into whole events. */
  private static final class Relay implements WebSocket.Listener {
    private final BlockingQueue<String> events;
    private final StringBuilder partial = new StringBuilder();

    Relay(BlockingQueue<String> events) {
      this.events = events;
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        events.add(partial.toString());
        partial.setLength(0);
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      events.add(END);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      events.add(END);
    }
  }
}
