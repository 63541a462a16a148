package io.outpost.hub.cli;

import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code outpost clusters [get|label|delete]}: the cluster registry. */
@Command(name = "clusters", mixinStandardHelpOptions = true,
    description = "Lists member clusters with kind, labels, status and last heartbeat (JSON).",
    subcommands = {ClustersCommand.Get.class, ClustersCommand.Label.class, ClustersCommand.Delete.class})
public final class ClustersCommand implements Callable<Integer> {

  @Mixin HubConnection hub;

  @Override
  public Integer call() throws Exception {
    System.out.println(hub.call("GET", "/api/v1/clusters", null));
    return 0;
  }

  @Command(name = "get", mixinStandardHelpOptions = true, description = "Shows one cluster.")
  static final class Get implements Callable<Integer> {
    @Mixin HubConnection hub;

    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    public Integer call() throws Exception {
      System.out.println(hub.call("GET", "/api/v1/clusters/" + name, null));
      return 0;
    }
  }

  @Command(name = "label", mixinStandardHelpOptions = true, description = "Replaces a cluster's labels: label NAME k=v ...")
  static final class Label implements Callable<Integer> {
    @Mixin HubConnection hub;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Parameters(index = "1..*", paramLabel = "KEY=VALUE")
    Map<String, String> labels;

    @Override
    public Integer call() throws Exception {
      String body = labels.entrySet().stream()
          .map(e -> Json.quote(e.getKey()) + ":" + Json.quote(e.getValue()))
          .collect(Collectors.joining(",", "{", "}"));
      System.out.println(hub.call("PUT", "/api/v1/clusters/" + name + "/labels", body));
      return 0;
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true,
      description = "Forgets a cluster and drops its tunnel; its agent must join again with a new token.")
  static final class Delete implements Callable<Integer> {
    @Mixin HubConnection hub;

    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    public Integer call() throws Exception {
      hub.call("DELETE", "/api/v1/clusters/" + name, null);
      System.out.println("deleted: " + name);
      return 0;
    }
  }
}
