package io.outpost.agent.cli;

import io.outpost.tunnel.JvmDefaults;
import io.outpost.agent.devices.BrokerCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code outpost agent join|run|node-proxy|broker}: the edge agent. */
@Command(name = "outpost", mixinStandardHelpOptions = true,
    subcommands = {AgentMain.AgentCommand.class})
public final class AgentMain {

  @Command(name = "agent", mixinStandardHelpOptions = true,
      description = "The agent: dials the hub, serves the hub's requests against its own cluster's apiserver only.",
      subcommands = {JoinCommand.class, RunCommand.class, NodeProxyCommand.class, BrokerCommand.class})
  static final class AgentCommand {}

  public static void main(String[] args) {
    JvmDefaults.apply();
    System.exit(new CommandLine(new AgentMain()).execute(args));
  }
}
