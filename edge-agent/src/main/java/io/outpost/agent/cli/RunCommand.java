package io.outpost.agent.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code outpost agent run}: serves the hub with the identity a join stored. */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Runs a joined agent: keeps the tunnel to the hub up (reconnecting with backoff) and serves its"
        + " requests against this cluster's apiserver only.")
public final class RunCommand implements Callable<Integer> {

  @Option(names = "--data-dir", defaultValue = "${env:OUTPOST_AGENT_DATA_DIR:-.outpost/agent}", paramLabel = "DIR",
      description = "The data dir given to 'outpost agent join'. Default: ${DEFAULT-VALUE}.")
  Path dataDir;

  @Mixin RunOptions runOptions;

  @Override
  public Integer call() throws Exception {
    try {
      return runOptions.runUntilStopped(dataDir);
    } catch (RuntimeException e) {
      // Micronaut wraps a bean's failure; the innermost message is the one written for the operator.
      Throwable root = e;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      System.err.println("error: " + root.getMessage());
      return 2;
    }
  }
}
