package io.outpost.hub.cli;

import io.outpost.hub.api.Durations;
import io.outpost.hub.delivery.BundleView;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code outpost rollout status|promote|pause|resume|rollback NAME}: follow and steer a bundle's rollout. */
@Command(name = "rollout", mixinStandardHelpOptions = true, description = "Follows and steers a bundle's rollout.",
    subcommands = {RolloutCommand.Status.class, RolloutCommand.Promote.class, RolloutCommand.Pause.class,
        RolloutCommand.Resume.class, RolloutCommand.Rollback.class})
public final class RolloutCommand {

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Follows a rollout until it completes or waits for you (halted, paused): a progress bar on a"
          + " terminal, one line per change otherwise. Exit code 0 when complete, 1 otherwise.")
  static final class Status implements Callable<Integer> {
    @Mixin HubConnection hub;

    @Parameters(paramLabel = "NAME")
    String name;

    @Option(names = "--timeout", defaultValue = "10m", description = "Give up after this long (default ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--interval", defaultValue = "1s", description = "Poll interval (default ${DEFAULT-VALUE}).")
    String interval;

    @Override
    public Integer call() throws Exception {
      boolean terminal = System.console() != null;
      long deadline = System.nanoTime() + Durations.parse(timeout).toNanos();
      Duration pause = Durations.parse(interval);
      String last = null;
      while (true) {
        BundleView view = BundlesCommand.JSON.readValue(hub.call("GET", "/api/v1/bundles/" + name, null),
            BundleView.class);
        String shown = terminal ? RolloutProgress.bar(view) : RolloutProgress.line(view);
        if (!shown.equals(last)) {
          System.out.print(terminal ? "\r" + shown : shown + System.lineSeparator());
          System.out.flush();
          last = shown;
        }
        if (RolloutProgress.settled(view) || System.nanoTime() > deadline) {
          if (terminal) {
            System.out.println();
            System.out.println(RolloutProgress.line(view));
          }
          view.clusters().stream().filter(c -> BundleView.FAILED.equals(c.status())).forEach(c ->
              System.out.println("  " + c.cluster() + " Failed: " + c.message()));
          return "Complete".equals(view.phase()) ? 0 : 1;
        }
        LockSupport.parkNanos(pause.toNanos());
      }
    }
  }

  /** The shared shape of the actions: POST to the bundle's action and show the result. */
  abstract static class Action implements Callable<Integer> {
    @Mixin HubConnection hub;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    abstract String action();

    String body() {
      return "{}";
    }

    @Override
    public Integer call() throws Exception {
      BundleView view = BundlesCommand.JSON.readValue(hub.call("POST", "/api/v1/bundles/" + name + "/" + action(),
          body()), BundleView.class);
      System.out.println(RolloutProgress.line(view));
      return 0;
    }
  }

  @Command(name = "promote", mixinStandardHelpOptions = true, description = "Releases the next wave now.")
  static final class Promote extends Action {
    @Override
    String action() {
      return "promote";
    }
  }

  @Command(name = "pause", mixinStandardHelpOptions = true, description = "Releases no further clusters.")
  static final class Pause extends Action {
    @Override
    String action() {
      return "pause";
    }
  }

  @Command(name = "resume", mixinStandardHelpOptions = true, description = "Continues a paused or halted rollout.")
  static final class Resume extends Action {
    @Override
    String action() {
      return "resume";
    }
  }

  @Command(name = "rollback", mixinStandardHelpOptions = true,
      description = "Rolls the bundle out at an earlier commit; it stays there until the bundle changes in Git.")
  static final class Rollback extends Action {
    @Parameters(index = "1", paramLabel = "REVISION", description = "A commit id or unique prefix.")
    String revision;

    @Override
    String action() {
      return "rollback";
    }

    @Override
    String body() {
      return "{\"revision\":" + Json.quote(revision) + "}";
    }
  }
}
