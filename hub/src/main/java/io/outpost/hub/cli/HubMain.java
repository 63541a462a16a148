package io.outpost.hub.cli;

import io.outpost.tunnel.JvmDefaults;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code outpost hub|kubeconfig|token|clusters|sources|bundles|rollout|devices}: the hub and the commands that talk to it. */
@Command(name = "outpost", mixinStandardHelpOptions = true,
    description = "Outpost hub: one place to reach every member cluster through reverse tunnels.",
    subcommands = {HubCommand.class, KubeconfigCommand.class, TokenCommand.class, ClustersCommand.class,
        SourcesCommand.class, BundlesCommand.class, RolloutCommand.class, DevicesCommand.class})
public final class HubMain {

  public static void main(String[] args) {
    JvmDefaults.apply();
    System.exit(commandLine().execute(args));
  }

  /**
   * The command line with its error handling: a command that fails (the hub refused, is not
   * reachable, ...) prints one line saying why and exits 1, not a stack trace.
   */
  public static CommandLine commandLine() {
    return new CommandLine(new HubMain()).setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
      return 1;
    });
  }
}
