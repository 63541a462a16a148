package io.outpost.sandbox;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.Serialization;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * Serves {@code GET /api/v1/namespaces/NS/pods/NAME/log}: a few made-up lines naming the pod, and
 * with {@code follow=true} one more line every {@link #FOLLOW_INTERVAL} until the client hangs up,
 * the sandbox closes or {@link #FOLLOW_LIMIT} passes. The mock has no log subresource at all.
 *
 * <p>Supported parameters: {@code container}, {@code follow}, {@code tailLines}, {@code timestamps}.
 */
final class PodLogs {

  static final Duration FOLLOW_INTERVAL = Duration.ofMillis(200);
  /** Bounded so a forgotten {@code kubectl logs -f} cannot keep a sandbox thread forever. */
  static final Duration FOLLOW_LIMIT = Duration.ofSeconds(60);

  private final MockBackend backend;
  private final CountDownLatch stopping;

  PodLogs(MockBackend backend, CountDownLatch stopping) {
    this.backend = backend;
    this.stopping = stopping;
  }

  void serve(Exchange exchange, String rawNamespace, String rawName) throws IOException, InterruptedException {
    HttpResponse<byte[]> found = backend.get("/api/v1/namespaces/" + rawNamespace + "/pods/" + rawName);
    if (found.statusCode() == 404) {
      exchange.sendJson(404, ApiStatus.notFound("pods", rawName));
      return;
    }
    if (found.statusCode() != 200) {
      exchange.send(found.statusCode(), Exchange.JSON, found.body());
      return;
    }
    Pod pod = Serialization.unmarshal(new String(found.body(), StandardCharsets.UTF_8), Pod.class);
    String podName = pod.getMetadata().getName();

    List<Container> containers = pod.getSpec() == null || pod.getSpec().getContainers() == null
        ? List.of() : pod.getSpec().getContainers();
    String requested = exchange.query().get("container");
    Optional<Container> container = pickContainer(containers, requested);
    if (container.isEmpty()) {
      List<String> names = containers.stream().map(Container::getName).toList();
      String message = requested != null
          ? "container " + requested + " is not valid for pod " + podName
          : names.isEmpty()
              ? "pod " + podName + " has no containers"
              : "a container name must be specified for pod " + podName + ", choose one of: " + names;
      exchange.sendJson(400, ApiStatus.badRequest(message));
      return;
    }

    boolean timestamps = exchange.queryFlag("timestamps");
    List<String> lines = startupLines(pod, container.get());
    int tail = tailLines(exchange.query());
    if (tail >= 0 && tail < lines.size()) {
      lines = lines.subList(lines.size() - tail, lines.size());
    }

    if (!exchange.queryFlag("follow")) {
      StringBuilder body = new StringBuilder();
      lines.forEach(line -> body.append(format(line, timestamps)));
      exchange.send(200, Exchange.TEXT, body.toString().getBytes(StandardCharsets.UTF_8));
      return;
    }
    follow(exchange, podName, lines, timestamps);
  }

  private void follow(Exchange exchange, String podName, List<String> lines, boolean timestamps)
      throws InterruptedException {
    Exchange.Stream stream = exchange.stream(Exchange.TEXT);
    try {
      StringBuilder first = new StringBuilder();
      lines.forEach(line -> first.append(format(line, timestamps)));
      stream.write(first.toString());
      long deadline = System.nanoTime() + FOLLOW_LIMIT.toNanos();
      // Waiting for a disconnect paces the lines and notices kubectl going away at once.
      for (int tick = 1; System.nanoTime() < deadline && stopping.getCount() > 0
          && !stream.awaitClientGone(FOLLOW_INTERVAL.toMillis()); tick++) {
        stream.write(format(podName + ": heartbeat " + tick, timestamps));
      }
    } catch (Exchange.ClientGoneException e) {
      // kubectl logs -f was interrupted: the normal way for a follow to end.
    } finally {
      stream.end();
    }
  }

  private static Optional<Container> pickContainer(List<Container> containers, String requested) {
    if (requested == null || requested.isEmpty()) {
      return containers.size() == 1 ? Optional.of(containers.get(0)) : Optional.empty();
    }
    return containers.stream().filter(c -> requested.equals(c.getName())).findFirst();
  }

  private static List<String> startupLines(Pod pod, Container container) {
    String namespace = pod.getMetadata().getNamespace();
    String name = pod.getMetadata().getName();
    String node = pod.getSpec().getNodeName() == null ? "(unscheduled)" : pod.getSpec().getNodeName();
    List<String> lines = new ArrayList<>();
    lines.add(name + ": starting container " + container.getName() + " (image " + container.getImage()
        + ") in pod " + namespace + "/" + name + " on node " + node);
    lines.add(name + ": configuration loaded");
    lines.add(name + ": ready to serve requests");
    return lines;
  }

  private static String format(String line, boolean timestamps) {
    return (timestamps ? Instant.now() + " " : "") + line + "\n";
  }

  private static int tailLines(Map<String, String> query) {
    try {
      return query.containsKey("tailLines") ? Integer.parseInt(query.get("tailLines")) : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
