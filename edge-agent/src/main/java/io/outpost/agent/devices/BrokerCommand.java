package io.outpost.agent.devices;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code outpost agent broker}: the site's MQTT broker (HiveMQ CE, {@link EmbeddedBroker}) as a
 * process of its own. The agent starts one of these itself when it has no external broker
 * ({@link BrokerProcess}); run it as its own service to manage it separately. Once listening it
 * writes {@code DATA_DIR/broker.pid} ({@code PID PORT}), removed again on a clean stop.
 */
@Command(name = "broker", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Runs the site MQTT broker (MQTT 3.1, 3.1.1 and 5; HiveMQ Community Edition) with its sessions",
        "and queued messages on disk in --data-dir. 'agent run --devices' starts one itself when no",
        "--mqtt-broker is given; use this command to run it as a service of its own."})
public final class BrokerCommand implements Callable<Integer> {

  static final String PID_FILE = "broker.pid";

  @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "0.0.0.0:1883",
      description = "Address to listen on. Default: ${DEFAULT-VALUE}.")
  String listen;

  @Option(names = "--data-dir", required = true, paramLabel = "DIR",
      description = "Sessions, queued and retained messages, and broker.pid / broker.log.")
  Path dataDir;

  @Option(names = "--max-queued", paramLabel = "N", defaultValue = "" + DevicesSettings.DEFAULT_EMBEDDED_MAX_QUEUED,
      description = "Messages held for one client that cannot take them yet; newer ones beyond are dropped and"
          + " counted. Default: ${DEFAULT-VALUE}.")
  long maxQueued;

  @Override
  public Integer call() throws InterruptedException {
    int colon = listen.lastIndexOf(':');
    if (colon <= 0) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--listen: expected HOST:PORT, got '" + listen + "'");
    }
    int port;
    try {
      port = Integer.parseInt(listen.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--listen: port must be a number, got '" + listen + "'");
    }
    EmbeddedBroker broker = EmbeddedBroker.start(listen.substring(0, colon), port, dataDir, maxQueued);
    Path pidFile = dataDir.resolve(PID_FILE);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      broker.close();
      try {
        Files.deleteIfExists(pidFile);
      } catch (IOException ignored) {
        // A stale pid file names a dead process; the agent checks before trusting it.
      }
      stopped.countDown();
    }, "broker-shutdown"));
    writeAtomically(pidFile, ProcessHandle.current().pid() + " " + broker.port() + "\n");
    System.out.println("mqtt broker listening on " + broker.url());
    stopped.await();
    return 0;
  }

  private static void writeAtomically(Path file, String content) {
    try {
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(tmp, content);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** The entry point the agent starts its broker child with. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new BrokerCommand()).execute(args));
  }
}
