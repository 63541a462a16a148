package io.outpost.demo;

import io.outpost.tunnel.JvmDefaults;
import io.outpost.sandbox.SandboxCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code outpost demo|sandbox}: trying Outpost without a real cluster. Never part of the agent. */
@Command(name = "outpost", mixinStandardHelpOptions = true, subcommands = {DemoCommand.class, SandboxCommand.class})
public final class DevMain {

  public static void main(String[] args) {
    JvmDefaults.apply();
    System.exit(new CommandLine(new DevMain()).execute(args));
  }
}
