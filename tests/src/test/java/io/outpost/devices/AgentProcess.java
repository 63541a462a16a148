package io.outpost.devices;

import io.outpost.agent.cli.AgentMain;
import io.outpost.agent.devices.BrokerProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An agent with its devices bridge in a JVM of its own, as {@code outpost agent run --devices}
 * runs it, so a test can {@code kill -9} it. Output goes to {@code agent-N.log} in the data dir.
 */
final class AgentProcess implements AutoCloseable {

  private final Process process;
  private final Path dataDir;

  private AgentProcess(Process process, Path dataDir) {
    this.process = process;
    this.dataDir = dataDir;
  }

  /** An agent using the external broker at {@code brokerUrl}. */
  static AgentProcess start(Path dataDir, Path kubeconfig, String brokerUrl, int run) {
    return start(dataDir, kubeconfig, List.of("--mqtt-broker", brokerUrl), run);
  }

  /** An agent running (or, after a crash, adopting) its embedded broker on {@code port}. */
  static AgentProcess withEmbeddedBroker(Path dataDir, Path kubeconfig, int port, int run) {
    return start(dataDir, kubeconfig, List.of("--mqtt-port", Integer.toString(port)), run);
  }

  private static AgentProcess start(Path dataDir, Path kubeconfig, List<String> mqtt, int run) {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
        AgentMain.class.getName(), "agent", "run", "--data-dir", dataDir.toString(),
        "--kubeconfig", kubeconfig.toString(), "--backoff-cap", "1s", "--devices"));
    command.addAll(mqtt);
    Path log = dataDir.resolve("agent-" + run + ".log");
    try {
      Files.createDirectories(dataDir);
      return new AgentProcess(new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start(),
          dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + String.join(" ", command), e);
    }
  }

  /** {@code kill -9}: no shutdown hook, no goodbye to the hub or the broker. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  /**
   * A clean stop (SIGTERM), with the unit's 30 s before SIGKILL. An agent killed before it stopped
   * its embedded broker leaves the broker running (the next agent would adopt it); a test has no
   * next agent, so that broker is stopped here.
   */
  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      kill();
    }
    BrokerProcess.stopLeftover(dataDir.resolve("mqtt-broker"));
  }
}
