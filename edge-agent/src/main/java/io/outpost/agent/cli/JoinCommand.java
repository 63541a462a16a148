package io.outpost.agent.cli;

import io.outpost.agent.AgentJoin;
import io.outpost.tunnel.client.JoinClient;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code outpost agent join}: trades a bootstrap token for this cluster's certificate. */
@Command(name = "join", mixinStandardHelpOptions = true,
    description = {
        "Joins this cluster to a hub, as kubeadm joins a node: trusts the hub only if its CA matches --ca-hash,",
        "trades the single-use --token for a client certificate naming the cluster, and stores it in --data-dir.",
        "Afterwards 'outpost agent run' reconnects with the certificate; the token is never needed again."})
public final class JoinCommand implements Callable<Integer> {

  @Option(names = "--hub", required = true, paramLabel = "HOST:PORT", description = "The hub's tunnel listener.")
  String hub;

  @Option(names = "--token", required = true, paramLabel = "TOKEN", description = "Bootstrap token (ID.SECRET).")
  String token;

  @Option(names = "--ca-hash", required = true, paramLabel = "sha256:HEX", description = "The hub CA pin it printed.")
  String caHash;

  @Option(names = "--name", required = true, paramLabel = "NAME",
      description = "Cluster name: lower-case letters, digits and '-', at most 63 (e.g. edge-sh-01).")
  String name;

  @Option(names = "--kind", defaultValue = "edge", paramLabel = "KIND",
      description = "idc, cloud or edge. Default: ${DEFAULT-VALUE}.")
  String kind;

  @Option(names = "--label", paramLabel = "KEY=VALUE", description = "A label for fleet targeting; repeatable.")
  Map<String, String> labels = new LinkedHashMap<>();

  @Option(names = "--data-dir", defaultValue = "${env:OUTPOST_AGENT_DATA_DIR:-.outpost/agent}", paramLabel = "DIR",
      description = "Where the identity is kept. Default: ${DEFAULT-VALUE}.")
  Path dataDir;

  @Option(names = "--run", description = "Start serving right after joining (as 'outpost agent run').")
  boolean run;

  @Mixin RunOptions runOptions;

  @Override
  public Integer call() throws Exception {
    try {
      AgentJoin.join(hub, token, caHash, name, kind, labels, dataDir);
    } catch (IllegalArgumentException | JoinClient.JoinException e) {
      System.err.println("error: " + e.getMessage());
      return 2;
    }
    System.out.println("joined: cluster " + name + " (identity in " + dataDir.toAbsolutePath() + ")");
    return run ? runOptions.runUntilStopped(dataDir) : 0;
  }
}
