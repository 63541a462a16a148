package io.outpost.hub.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code outpost kubeconfig}: a kubeconfig with one context per member cluster, through the hub. */
@Command(name = "kubeconfig", mixinStandardHelpOptions = true,
    description = "Fetches a kubeconfig with one context per member cluster (named after the cluster), all through the hub.")
public final class KubeconfigCommand implements Callable<Integer> {

  @Mixin HubConnection hub;

  @Option(names = {"-o", "--output"}, paramLabel = "PATH", description = "Write it here instead of standard output.")
  Path output;

  @Override
  public Integer call() throws Exception {
    String kubeconfig = hub.call("GET", "/api/v1/kubeconfig", null);
    if (output == null) {
      System.out.print(kubeconfig);
    } else {
      Files.writeString(output, kubeconfig);
      System.out.println("kubeconfig: " + output.toAbsolutePath());
    }
    return 0;
  }
}
