package io.outpost.agent.devices;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's embedded MQTT broker, run as a child process ({@link BrokerCommand}) so that it
 * outlives an agent crash: devices stay connected and keep publishing into the agent's persistent
 * session while the agent restarts, and the next agent adopts the running broker instead of
 * starting a second one. A clean agent stop stops the broker too.
 *
 * <p>Why not in the agent's JVM: a broker acknowledges a device's QoS 1 publish once it holds the
 * message; if it died with the agent, a device whose acknowledgement was lost in the crash would
 * send the message again and the hub would store it twice.
 */
public final class BrokerProcess implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(BrokerProcess.class);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

  private final ProcessHandle process;
  private final String host;
  private final int port;

  private BrokerProcess(ProcessHandle process, String host, int port) {
    this.process = process;
    this.host = host;
    this.port = port;
  }

  /**
   * Adopts the broker a previous agent left running in {@code dataDir} if it listens where asked,
   * else starts one on {@code host:port} (0 = a free port) with the given JVM options and waits up
   * to {@code startTimeout} for it to listen.
   */
  public static BrokerProcess startOrAdopt(String host, int port, Path dataDir, long maxQueued, List<String> jvmOptions,
      Duration startTimeout) {
    try {
      Files.createDirectories(dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the embedded broker's data dir " + dataDir + ": " + e.getMessage(), e);
    }
    Optional<Running> running = Running.read(dataDir, host);
    if (running.isPresent()) {
      Running old = running.get();
      if (port == 0 || port == old.port) {
        log.info("devices: adopted the MQTT broker left running by the previous agent (pid {}, port {})", old.process.pid(),
            old.port);
        return new BrokerProcess(old.process, host, old.port);
      }
      log.info("devices: the running MQTT broker (pid {}) listens on {}, not {}: restarting it", old.process.pid(),
          old.port, port);
      stop(old.process);
    }
    int chosen = port == 0 ? EmbeddedBroker.freePort(host) : port;
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(jvmOptions);
    command.addAll(List.of(BrokerCommand.class.getName(),
        "--listen", host + ":" + chosen, "--data-dir", dataDir.toString(), "--max-queued", Long.toString(maxQueued)));
    Path logFile = dataDir.resolve("broker.log");
    Process child;
    try {
      ProcessBuilder builder = new ProcessBuilder(command);
      // The class path goes in the environment: on the command line it would push the arguments past
      // the 4 KiB of /proc/PID/cmdline that Java reads, and the next agent could not recognise its broker.
      builder.environment().put("CLASSPATH", System.getProperty("java.class.path"));
      child = builder
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the embedded MQTT broker (" + String.join(" ", command) + "): "
          + e.getMessage(), e);
    }
    long deadline = System.nanoTime() + startTimeout.toNanos();
    while (true) {
      Optional<Running> started = Running.read(dataDir, host).filter(r -> r.process.pid() == child.pid());
      if (started.isPresent()) {
        log.info("devices: started the MQTT broker (pid {}) on {}:{}; its log is {}", child.pid(), host, chosen, logFile);
        return new BrokerProcess(child.toHandle(), host, chosen);
      }
      if (!child.isAlive()) {
        throw new IllegalStateException("the embedded MQTT broker exited with code " + child.exitValue()
            + " before listening on " + host + ":" + chosen + "; last lines of " + logFile + ":\n" + tail(logFile));
      }
      if (System.nanoTime() > deadline) {
        child.destroyForcibly();
        throw new IllegalStateException("the embedded MQTT broker did not listen on " + host + ":" + chosen + " within "
            + startTimeout.toSeconds() + " s; last lines of " + logFile + ":\n" + tail(logFile));
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
    }
  }

  /** A broker named by {@code broker.pid} whose process is alive, is ours and accepts connections. */
  private record Running(ProcessHandle process, int port) {
    static Optional<Running> read(Path dataDir, String host) {
      return recorded(dataDir).filter(r -> accepts(EmbeddedBroker.reachableHost(host), r.port));
    }

    /** The broker {@code broker.pid} names, if that process is alive and runs the broker on this data dir. */
    static Optional<Running> recorded(Path dataDir) {
      try {
        String[] fields = Files.readString(dataDir.resolve(BrokerCommand.PID_FILE)).trim().split("\\s+");
        int port = Integer.parseInt(fields[1]);
        // A recycled pid would not be running the broker on this data dir.
        return ProcessHandle.of(Long.parseLong(fields[0])).filter(ProcessHandle::isAlive)
            .filter(h -> h.info().arguments().map(Arrays::asList)
                .map(args -> args.contains(BrokerCommand.class.getName()) && args.contains(dataDir.toString()))
                .orElse(false))
            .map(h -> new Running(h, port));
      } catch (IOException | RuntimeException e) {
        return Optional.empty();
      }
    }
  }

  /**
   * Stops the broker a previous agent left running in {@code dataDir}, if any, and waits for it:
   * for an agent that will not start again (tests, uninstall).
   */
  public static void stopLeftover(Path dataDir) {
    Running.recorded(dataDir).ifPresent(r -> stop(r.process));
  }

  private static boolean accepts(String host, int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static String tail(Path logFile) {
    try {
      List<String> lines = Files.readAllLines(logFile);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
    } catch (IOException e) {
      return "(cannot read it: " + e.getMessage() + ")";
    }
  }

  public int port() {
    return port;
  }

  public long pid() {
    return process.pid();
  }

  /** The URL clients on this machine use. */
  public String url() {
    return "tcp://" + EmbeddedBroker.reachableHost(host) + ":" + port;
  }

  /** Asks the broker to stop (SIGTERM: it saves its state and removes its pid file) without waiting. */
  public void signalStop() {
    process.destroy();
  }

  /** Stops the broker and waits for it; SIGKILL after 30 s. */
  @Override
  public void close() {
    stop(process);
  }

  private static void stop(ProcessHandle process) {
    process.destroy();
    try {
      process.onExit().get(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (TimeoutException | ExecutionException e) {
      log.warn("devices: the MQTT broker (pid {}) did not stop within {} s; killing it", process.pid(),
          STOP_TIMEOUT.toSeconds());
      process.destroyForcibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
