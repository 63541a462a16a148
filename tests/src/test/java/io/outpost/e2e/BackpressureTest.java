package io.outpost.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.outpost.demo.Fleet;
import io.outpost.e2e.support.HubClient;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import io.outpost.tunnel.pki.Tls;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each exchange rides its own stream: a watch whose reader has stopped reading must not delay the
 * other requests to the same cluster. The precise figures live in BENCHMARKS.md; this asserts the
 * property loosely.
 */
class BackpressureTest {

  @TempDir static Path dir;
  static Fleet fleet;
  static HubClient http;

  @BeforeAll
  static void startFleet() throws InterruptedException {
    fleet = Fleet.start(dir, List.of(Fleet.Member.of("edge-1", "edge", Map.of())), hub -> hub, agent -> agent);
    assertThat(fleet.agent("edge-1").awaitConnected(Duration.ofSeconds(20))).isTrue();
    http = new HubClient(fleet);
    fleet.sandbox("edge-1").client().configMaps().inNamespace("default").resource(new ConfigMapBuilder()
        .withNewMetadata().withName("probe").endMetadata().addToData("k", "v").build()).create();
  }

  @AfterAll
  static void stopFleet() {
    fleet.close();
  }

  @Test
  void aStalledWatchDoesNotDelayOtherRequestsToTheSameCluster() throws Exception {
    measureGets(50);
    long baseline = p99(measureGets(200));

    try (SSLSocket stalled = openWatchAndNeverRead("/clusters/edge-1/k8s/api/v1/namespaces/shop/configmaps?watch=true")) {
      KubernetesClient member = fleet.sandbox("edge-1").client();
      String payload = "x".repeat(200 * 1024);
      // ~16 MB of watch events: far more than socket buffers and one HTTP/2 window hold.
      for (int i = 0; i < 80; i++) {
        member.configMaps().inNamespace("shop").resource(new ConfigMapBuilder()
            .withNewMetadata().withName("flood-" + i).endMetadata().addToData("payload", payload).build()).create();
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> fleet.hub().tunnel().stats().bytesFromAgents() > 2_000_000);

      // The watch stays stalled for the whole test, so head-of-line blocking would slow every
      // round; a load spike on a shared CI machine slows one. Up to three rounds, the best counts.
      long allowed = Math.max(2 * baseline, baseline + 25_000_000L);
      long stalledP99 = Long.MAX_VALUE;
      for (int round = 1; round <= 3 && stalledP99 > allowed; round++) {
        stalledP99 = Math.min(stalledP99, p99(measureGets(200)));
      }
      System.out.println("bytes from agents: " + fleet.hub().tunnel().stats().bytesFromAgents());
      System.out.printf("GET p99 through the hub: %.2f ms alone, %.2f ms beside a stalled watch%n",
          baseline / 1e6, stalledP99 / 1e6);
      assertThat(stalledP99).isLessThanOrEqualTo(allowed);
    }
  }

  private long[] measureGets(int n) {
    long[] nanos = new long[n];
    for (int i = 0; i < n; i++) {
      long start = System.nanoTime();
      var answer = http.get("/clusters/edge-1/k8s/api/v1/namespaces/default/configmaps/probe");
      nanos[i] = System.nanoTime() - start;
      assertThat(answer.statusCode()).isEqualTo(200);
    }
    return nanos;
  }

  private static long p99(long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return sorted[(int) Math.ceil(sorted.length * 0.99) - 1];
  }

  /** A client that sends a watch and then never reads: its receive window fills and stays full. */
  private SSLSocket openWatchAndNeverRead(String path) throws Exception {
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(null, new TrustManager[] {Tls.trustManager(fleet.hub().pki().ca().certificate())}, null);
    URI hub = URI.create(fleet.hub().url());
    SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket();
    socket.setReceiveBufferSize(16 * 1024);
    socket.connect(new java.net.InetSocketAddress(hub.getHost(), hub.getPort()), 5000);
    socket.startHandshake();
    OutputStream out = socket.getOutputStream();
    out.write(("GET " + path + " HTTP/1.1\r\nHost: " + hub.getHost() + "\r\nAuthorization: Bearer "
        + fleet.adminToken() + "\r\nAccept: application/json\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
    return socket;
  }
}
