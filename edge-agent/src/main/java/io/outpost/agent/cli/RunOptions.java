package io.outpost.agent.cli;

import io.outpost.agent.Agent;
import io.outpost.tunnel.client.TunnelClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** What running an agent takes; shared by {@code agent run} and {@code agent join --run}. */
final class RunOptions {

  @Option(names = "--kubeconfig", defaultValue = "${env:OUTPOST_AGENT_KUBECONFIG}", paramLabel = "PATH",
      description = "Kubeconfig of the cluster this agent serves. Default: in-cluster service account, then"
          + " $KUBECONFIG or ~/.kube/config.")
  Path kubeconfig;

  @Option(names = "--backoff-cap", defaultValue = "${env:OUTPOST_AGENT_BACKOFF_CAP:-30s}", paramLabel = "DURATION",
      description = "Longest wait between reconnect attempts (exponential backoff, full jitter). Default: ${DEFAULT-VALUE}.")
  String backoffCap;

  @Mixin DevicesOptions devices;

  /** Runs the agent in the foreground until the JVM is asked to stop. */
  int runUntilStopped(Path dataDir) throws InterruptedException {
    Agent.Builder builder = Agent.builder().dataDir(dataDir).property("backoff-cap", backoffCap);
    if (kubeconfig != null) {
      builder.kubeconfig(kubeconfig);
    }
    devices.apply(builder);
    Agent agent = builder.start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      agent.close();
      stopped.countDown();
    }, "agent-shutdown"));
    System.out.println("agent: cluster " + agent.clusterName() + ", dialing the hub");
    if (agent.awaitConnected(Duration.ofSeconds(10))) {
      System.out.println("connected: " + agent.clusterName());
    } else {
      TunnelClient tunnel = agent.tunnel();
      System.out.println("not connected yet (" + tunnel.lastError() + "); retrying with backoff");
    }
    devices.report(agent);
    System.out.flush();
    stopped.await();
    return 0;
  }
}
