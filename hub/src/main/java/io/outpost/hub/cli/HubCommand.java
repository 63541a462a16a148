package io.outpost.hub.cli;

import io.outpost.hub.Hub;
import io.outpost.hub.api.Durations;
import io.outpost.hub.config.HubSettings;
import io.outpost.tunnel.TunnelLimits;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code outpost hub}: runs the hub in the foreground until Ctrl-C. */
@Command(name = "hub", mixinStandardHelpOptions = true,
    description = {
        "Runs the hub: the HTTPS API and Kubernetes gateway (--port) and the tunnel listener agents dial (--tunnel-port).",
        "On first start it makes its CA and an admin token in --data-dir, prints the token once,",
        "and prints a join command with a fresh bootstrap token. Every flag has an OUTPOST_HUB_* environment twin."})
public final class HubCommand implements Callable<Integer> {

  @Option(names = "--data-dir", defaultValue = "${env:OUTPOST_HUB_DATA_DIR:-.outpost/hub}", paramLabel = "DIR",
      description = "CA, server certificate and registry (MapDB). Default: ${DEFAULT-VALUE}.")
  Path dataDir;

  @Option(names = "--port", defaultValue = "${env:OUTPOST_HUB_PORT:-" + Hub.DEFAULT_HTTPS_PORT + "}", paramLabel = "N",
      description = "HTTPS port of the API, gateway, /health and /prometheus; 0 = any free port. Default: ${DEFAULT-VALUE}.")
  int port;

  @Option(names = "--tunnel-port", defaultValue = "${env:OUTPOST_HUB_TUNNEL_PORT:-" + HubSettings.DEFAULT_TUNNEL_PORT + "}",
      paramLabel = "N", description = "Port agents dial (gRPC over TLS); 0 = any free port. Default: ${DEFAULT-VALUE}.")
  int tunnelPort;

  @Option(names = "--advertise-host", split = ",", paramLabel = "HOST",
      defaultValue = "${env:OUTPOST_HUB_ADVERTISE_HOSTS:-localhost,127.0.0.1}",
      description = "Names and addresses agents and users reach the hub by (go into its certificate; the first is used"
          + " in join commands and kubeconfigs). Default: ${DEFAULT-VALUE}.")
  List<String> advertiseHosts;

  @Option(names = "--heartbeat-interval", defaultValue = "${env:OUTPOST_HUB_HEARTBEAT_INTERVAL:-5s}", paramLabel = "DURATION",
      description = "Heartbeat period agents keep; 3 missed mark a cluster Offline. Default: ${DEFAULT-VALUE}.")
  String heartbeatInterval;

  @Option(names = "--client-cert-validity", defaultValue = "${env:OUTPOST_HUB_CLIENT_CERT_VALIDITY:-90d}",
      paramLabel = "DURATION", description = "Lifetime of agents' client certificates (renewed at 2/3). Default: ${DEFAULT-VALUE}.")
  String clientCertValidity;

  @Option(names = "--max-concurrent-exchanges",
      defaultValue = "${env:OUTPOST_HUB_MAX_CONCURRENT_EXCHANGES:-" + TunnelLimits.DEFAULT_MAX_CONCURRENT_EXCHANGES + "}",
      paramLabel = "N", description = "Requests, watches and log streams in flight per cluster; more get 429. Default: ${DEFAULT-VALUE}.")
  int maxConcurrentExchanges;

  @Option(names = "--max-message-bytes",
      defaultValue = "${env:OUTPOST_HUB_MAX_MESSAGE_BYTES:-" + TunnelLimits.DEFAULT_MAX_MESSAGE_BYTES + "}",
      paramLabel = "N", description = "Largest tunnel message accepted from an agent. Default: ${DEFAULT-VALUE}.")
  int maxMessageBytes;

  @Option(names = "--max-request-body-bytes",
      defaultValue = "${env:OUTPOST_HUB_MAX_REQUEST_BODY_BYTES:-" + HubSettings.DEFAULT_MAX_REQUEST_BODY_BYTES + "}",
      paramLabel = "N", description = "Largest request body the gateway forwards; more get 413. Default: ${DEFAULT-VALUE}.")
  int maxRequestBodyBytes;

  @Override
  public Integer call() throws Exception {
    Hub hub = Hub.builder()
        .dataDir(dataDir)
        .httpsPort(port)
        .tunnelPort(tunnelPort)
        .advertiseHosts(advertiseHosts)
        .heartbeatInterval(Durations.parse(heartbeatInterval))
        .property("client-cert-validity", Durations.parse(clientCertValidity))
        .property("max-concurrent-exchanges", maxConcurrentExchanges)
        .property("max-message-bytes", maxMessageBytes)
        .property("max-request-body-bytes", maxRequestBodyBytes)
        .start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      hub.close();
      stopped.countDown();
    }, "hub-shutdown"));
    System.out.println("hub: " + hub.url());
    System.out.println("tunnel: " + hub.advertisedHost() + ":" + hub.tunnelPort());
    System.out.println("ca-hash: " + hub.caPin());
    hub.firstAdminToken().ifPresent(token -> {
      System.out.println("admin token (shown once, stored hashed): " + token);
      String join = hub.tokens().create(Duration.ofHours(24), "printed at first start").token();
      System.out.println("join a cluster (token valid 24h, single use):");
      System.out.println("  " + hub.joinCommand(join, "CLUSTER_NAME") + " --kubeconfig PATH");
    });
    System.out.flush();
    stopped.await();
    return 0;
  }
}
