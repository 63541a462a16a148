package io.outpost.sandbox;

import ch.qos.logback.classic.Level;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code sandbox}: runs one {@link SandboxCluster} in the foreground until Ctrl-C.
 *
 * <p>It prints exactly one {@code kubeconfig: PATH} line and one {@code server: URL} line once the
 * sandbox is ready, so scripts can wait for and parse them.
 */
@Command(
    name = "sandbox",
    mixinStandardHelpOptions = true,
    version = "outpost sandbox, serving Kubernetes " + Discovery.GIT_VERSION,
    description = {
        "Runs an in-memory stand-in for a member cluster's Kubernetes apiserver (fabric8 mock, CRUD mode) "
            + "on 127.0.0.1, seeded with nodes, deployments and running pods, until Ctrl-C.",
        "",
        "Works with kubectl: discovery, get/list/watch (-w), create and apply of new objects, delete, "
            + "logs (-f). Not supported: exec, attach, port-forward, server-side apply, strategic-merge patch "
            + "(so re-applying a changed built-in object fails) and field selectors other than metadata.name "
            + "and metadata.namespace.",
        ""})
public final class SandboxCommand implements Callable<Integer> {

  @Option(names = "--name", defaultValue = "sandbox", paramLabel = "NAME",
      description = "Cluster name; nodes are called NAME-node-1..N. Lower-case DNS label. Default: ${DEFAULT-VALUE}.")
  String name;

  @Option(names = "--port", defaultValue = "0", paramLabel = "N",
      description = "Port on 127.0.0.1 to listen on (plain HTTP); 0 picks a free port. Default: ${DEFAULT-VALUE}.")
  int port;

  @Option(names = "--nodes", defaultValue = "" + SandboxSpec.DEFAULT_NODES, paramLabel = "N",
      description = "Number of seeded Ready nodes. Default: ${DEFAULT-VALUE}.")
  int nodes;

  @Option(names = "--pods-per-node", defaultValue = "" + SandboxSpec.DEFAULT_PODS_PER_NODE, paramLabel = "N",
      description = "Number of seeded Running pods on each node. Default: ${DEFAULT-VALUE}.")
  int podsPerNode;

  @Option(names = "--kubeconfig", paramLabel = "PATH",
      description = "Where to write a kubeconfig for the sandbox (context NAME).%n"
          + "Default: .outpost/sandbox-NAME.kubeconfig in the working directory.")
  Path kubeconfig;

  @Option(names = "--verbose",
      description = "Keep library logging (fabric8, Vert.x) at its configured level instead of warnings only.")
  boolean verbose;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec commandSpec;

  /** Counted down by Ctrl-C (the shutdown hook) or {@link #stop()}; {@link #call()} waits on it. */
  private final CountDownLatch stopRequested = new CountDownLatch(1);
  /** Counted down once the sandbox is closed, so the shutdown hook can wait for a clean stop. */
  private final CountDownLatch stopped = new CountDownLatch(1);

  public static void main(String[] args) {
    System.exit(new CommandLine(new SandboxCommand()).execute(args));
  }

  @Override
  public Integer call() throws InterruptedException {
    if (!verbose) {
      quietLibraries();
    }
    Path file = kubeconfig != null ? kubeconfig : Path.of(".outpost", "sandbox-" + name + ".kubeconfig");
    Thread hook = new Thread(this::stopAndWait, "sandbox-" + name + "-shutdown");
    SandboxCluster started;
    try {
      started = SandboxCluster.start(
          SandboxSpec.builder(name).port(port).nodes(nodes).podsPerNode(podsPerNode).build());
    } catch (IllegalArgumentException | IllegalStateException e) {
      // Bad flags or a busy port: a one-line reason helps more than a stack trace.
      commandSpec.commandLine().getErr().println("sandbox: " + e.getMessage());
      stopped.countDown();
      return 1;
    }
    try (SandboxCluster sandbox = started) {
      Runtime.getRuntime().addShutdownHook(hook);
      Path written = sandbox.writeKubeconfig(file, name).toAbsolutePath();
      PrintWriter out = commandSpec.commandLine().getOut();
      out.println("kubeconfig: " + written);
      out.println("server: " + sandbox.url());
      out.flush();
      stopRequested.await();
    } finally {
      stopped.countDown();
      removeHook(hook);
    }
    return 0;
  }

  /** Asks a running {@link #call()} to close the sandbox and return, as Ctrl-C does. */
  void stop() {
    stopRequested.countDown();
  }

  private void stopAndWait() {
    stop();
    try {
      // The JVM halts when the hooks return: let call() finish closing the sandbox first.
      stopped.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException jvmAlreadyShuttingDown) {
      // Ctrl-C path: the hook is running right now.
    }
  }

  /**
   * Without a logback configuration file logback logs everything at DEBUG to stdout, which buries
   * the two lines scripts look for. Only quiet things down when nobody configured logging.
   */
  private static void quietLibraries() {
    boolean configured = System.getProperty("logback.configurationFile") != null
        || SandboxCommand.class.getResource("/logback.xml") != null
        || SandboxCommand.class.getResource("/logback-test.xml") != null;
    if (!configured && LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context) {
      context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(Level.WARN);
    }
  }
}
