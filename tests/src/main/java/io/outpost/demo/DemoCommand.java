package io.outpost.demo;

import io.outpost.agent.devices.DevicesFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code outpost demo}: a hub on its embedded store and three sandbox member clusters (idc, cloud,
 * edge), each with its own agent joined through a real TLS tunnel, until Ctrl-C.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {
        "Runs a hub and three sandbox member clusters (kinds idc, cloud and edge), each with an agent joined",
        "through a real gRPC tunnel over TLS. Prints 'hub: URL' and 'kubeconfig: PATH' (one context per cluster,",
        "through the hub), then runs until Ctrl-C. Sandbox clusters are in-memory fabric8 mock apiservers."})
public final class DemoCommand implements Callable<Integer> {

  static final List<Fleet.Member> MEMBERS = List.of(
      Fleet.Member.of("idc-bj-01", "idc", Map.of("region", "cn-north", "env", "prod")),
      Fleet.Member.of("cloud-fra-01", "cloud", Map.of("region", "eu-central", "env", "prod")),
      Fleet.Member.of("edge-sh-01", "edge", Map.of("region", "cn-east", "env", "prod", "site", "shop-0421")));

  @Option(names = "--dir", defaultValue = ".outpost/demo", paramLabel = "DIR",
      description = "Working directory; wiped at start. Default: ${DEFAULT-VALUE}.")
  Path dir;

  @Option(names = "--port", defaultValue = "0", paramLabel = "N",
      description = "Hub HTTPS port; 0 = any free port. Default: ${DEFAULT-VALUE}.")
  int port;

  @Option(names = "--tunnel-port", defaultValue = "0", paramLabel = "N",
      description = "Hub tunnel port; 0 = any free port. Default: ${DEFAULT-VALUE}.")
  int tunnelPort;

  @Override
  public Integer call() throws Exception {
    wipe(dir);
    // Edge sites bridge their MQTT devices, each through an embedded broker on a free port.
    Fleet fleet = Fleet.startPerMember(dir, MEMBERS, hub -> hub.httpsPort(port).tunnelPort(tunnelPort),
        (member, agent) -> member.kind().equals("edge")
            ? agent.property("devices.enabled", true).property("devices.embedded-port", 0) : agent);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      fleet.close();
      stopped.countDown();
    }, "demo-shutdown"));
    for (Fleet.Member member : MEMBERS) {
      if (!fleet.agent(member.name()).awaitConnected(Duration.ofSeconds(30))) {
        System.err.println("warning: agent of " + member.name() + " is not connected yet");
      }
    }
    Path kubeconfig = fleet.writeKubeconfig(dir.resolve("kubeconfig").toAbsolutePath());
    System.out.println("hub: " + fleet.hub().url());
    System.out.println("kubeconfig: " + kubeconfig);
    System.out.println("admin token: " + fleet.adminToken());
    System.out.println("ca-hash: " + fleet.hub().caPin());
    for (Fleet.Member member : MEMBERS) {
      System.out.println("cluster: " + member.name() + " (" + member.kind() + ", sandbox " + fleet.sandbox(member.name()).url() + ")");
    }
    for (Fleet.Member member : MEMBERS) {
      if (member.kind().equals("edge")) {
        DevicesFeature devices = fleet.agent(member.name()).feature(DevicesFeature.class);
        System.out.println("mqtt: " + devices.brokerUrl() + " (cluster " + member.name() + ")");
      }
    }
    System.out.println("try: kubectl --kubeconfig " + kubeconfig + " --context edge-sh-01 get pods -A");
    System.out.println("Ctrl-C to stop.");
    System.out.flush();
    stopped.await();
    return 0;
  }

  private static void wipe(Path dir) throws IOException {
    if (Files.exists(dir)) {
      try (Stream<Path> all = Files.walk(dir)) {
        for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    Files.createDirectories(dir);
  }
}
