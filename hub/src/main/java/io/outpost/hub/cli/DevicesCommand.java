package io.outpost.hub.cli;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code outpost devices [get|set-desired]}: the device registry. */
@Command(name = "devices", mixinStandardHelpOptions = true,
    description = "Lists devices with cluster, last seen, message count, last telemetry and desired state (JSON).",
    subcommands = {DevicesCommand.Get.class, DevicesCommand.SetDesired.class})
public final class DevicesCommand implements Callable<Integer> {

  @Mixin HubConnection hub;

  @Option(names = "--cluster", description = "Only the devices of this cluster.")
  String cluster;

  @Override
  public Integer call() throws Exception {
    String query = cluster == null ? "" : "?cluster=" + encode(cluster);
    System.out.println(hub.call("GET", "/api/v1/devices" + query, null));
    return 0;
  }

  @Command(name = "get", mixinStandardHelpOptions = true,
      description = "Shows one device and its most recent messages.")
  static final class Get implements Callable<Integer> {
    @Mixin HubConnection hub;

    @Parameters(paramLabel = "ID")
    String id;

    @Option(names = "--cluster", description = "The device's cluster (needed when several clusters have this id).")
    String cluster;

    @Override
    public Integer call() throws Exception {
      String path = cluster == null ? encode(id) : encode(cluster) + "/" + encode(id);
      System.out.println(hub.call("GET", "/api/v1/devices/" + path, null));
      return 0;
    }
  }

  @Command(name = "set-desired", mixinStandardHelpOptions = true,
      description = "Sets a device's desired state (JSON); the agent publishes it retained to the device's desired topic.")
  static final class SetDesired implements Callable<Integer> {
    @Mixin HubConnection hub;

    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Parameters(index = "1", paramLabel = "JSON")
    String json;

    @Option(names = "--cluster", required = true, description = "The device's cluster.")
    String cluster;

    @Override
    public Integer call() throws Exception {
      System.out.println(hub.call("PUT", "/api/v1/devices/" + encode(cluster) + "/" + encode(id) + "/desired", json));
      return 0;
    }
  }

  private static String encode(String segment) {
    return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
