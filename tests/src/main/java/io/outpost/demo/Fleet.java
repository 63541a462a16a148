package io.outpost.demo;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.outpost.agent.Agent;
import io.outpost.agent.AgentJoin;
import io.outpost.hub.Hub;
import io.outpost.hub.api.Kubeconfigs;
import io.outpost.sandbox.SandboxCluster;
import io.outpost.sandbox.SandboxSpec;
import io.outpost.tunnel.pki.Pem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;

/**
 * A hub and its member clusters, each a sandbox cluster with its own agent joined through a real
 * tunnel. The demo runs one; the end-to-end tests start, break and restart them.
 *
 * <pre>{@code
 * try (Fleet fleet = Fleet.start(dir, List.of(Member.of("edge-sh-01", "edge", Map.of("region", "sh"))),
 *     hub -> hub, agent -> agent)) {
 *   fleet.clientThroughHub("edge-sh-01").pods().inAnyNamespace().list();
 * }
 * }</pre>
 */
public final class Fleet implements AutoCloseable {

  /**
   * A member cluster to create: name, kind (idc, cloud or edge), labels, and whether its sandbox
   * apiserver speaks HTTPS (as a real one does) rather than plain HTTP.
   */
  public record Member(String name, String kind, Map<String, String> labels, boolean httpsApiserver) {
    public static Member of(String name, String kind, Map<String, String> labels) {
      return new Member(name, kind, labels, false);
    }

    /** The same member with an HTTPS sandbox apiserver; its agent trusts it through the kubeconfig. */
    public Member withHttpsApiserver() {
      return new Member(name, kind, labels, true);
    }
  }

  private final Path workDir;
  private final UnaryOperator<Hub.Builder> hubSettings;
  private final BiFunction<Member, Agent.Builder, Agent.Builder> agentSettings;
  private final Map<String, SandboxCluster> sandboxes = new LinkedHashMap<>();
  private final Map<String, Agent> agents = new LinkedHashMap<>();
  private final List<Member> members;
  private int httpsPort;
  private int tunnelPort;
  private Hub hub;
  private String adminToken;

  private Fleet(Path workDir, List<Member> members, UnaryOperator<Hub.Builder> hubSettings,
      BiFunction<Member, Agent.Builder, Agent.Builder> agentSettings) {
    this.workDir = workDir;
    this.members = List.copyOf(members);
    this.hubSettings = hubSettings;
    this.agentSettings = agentSettings;
  }

  /** Starts the hub, then for each member a sandbox cluster and an agent that joins with a fresh token. */
  public static Fleet start(Path workDir, List<Member> members, UnaryOperator<Hub.Builder> hubSettings,
      UnaryOperator<Agent.Builder> agentSettings) {
    return startPerMember(workDir, members, hubSettings, (member, agent) -> agentSettings.apply(agent));
  }

  /** Like {@link #start}, with agent settings that depend on the member (e.g. devices only at edge sites). */
  public static Fleet startPerMember(Path workDir, List<Member> members, UnaryOperator<Hub.Builder> hubSettings,
      BiFunction<Member, Agent.Builder, Agent.Builder> agentSettings) {
    Fleet fleet = new Fleet(workDir, members, hubSettings, agentSettings);
    try {
      fleet.startHub(0, 0);
      for (Member member : members) {
        fleet.addMember(member);
      }
      return fleet;
    } catch (RuntimeException | Error e) {
      // Whatever went wrong, leave no hub, sandbox or agent running behind the caller's back.
      fleet.close();
      throw e;
    }
  }

  private void startHub(int https, int tunnel) {
    hub = hubSettings.apply(Hub.builder().dataDir(workDir.resolve("hub")).httpsPort(https).tunnelPort(tunnel))
        .start();
    httpsPort = hub.httpsPort();
    tunnelPort = hub.tunnelPort();
    hub.firstAdminToken().ifPresent(t -> adminToken = t);
  }

  private void addMember(Member member) {
    SandboxCluster sandbox = SandboxCluster.start(SandboxSpec.builder(member.name()).labels(member.labels())
        .https(member.httpsApiserver()).build());
    sandboxes.put(member.name(), sandbox);
    String token = hub.tokens().create(Duration.ofMinutes(10), "fleet member " + member.name()).token();
    try {
      AgentJoin.join(hub.advertisedHost() + ":" + tunnelPort, token, hub.caPin(), member.name(), member.kind(),
          member.labels(), agentDir(member.name()));
      sandbox.writeKubeconfig(kubeconfigOfSandbox(member.name()), member.name());
    } catch (Exception e) {
      throw new IllegalStateException("member " + member.name() + " could not join: " + e.getMessage(), e);
    }
    startAgent(member.name());
  }

  /** Starts (or restarts) the agent of a member from its data dir: no token needed. */
  public Agent startAgent(String name) {
    Member member = members.stream().filter(m -> m.name().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no member " + name + " in this fleet"));
    Agent agent = agentSettings.apply(member,
        Agent.builder().dataDir(agentDir(name)).kubeconfig(kubeconfigOfSandbox(name))).start();
    agents.put(name, agent);
    return agent;
  }

  /** Stops a member's agent abruptly, as a crash would: the tunnel drops without a goodbye. */
  public void stopAgent(String name) {
    Agent agent = agents.remove(name);
    if (agent != null) {
      agent.close();
    }
  }

  /** Stops the hub and starts it again on the same ports and data dir. */
  public void restartHub() {
    hub.close();
    // The same ports again, so agents and kubeconfigs find the hub where they left it. A port the
    // old server just released can still be held for a moment (a connection closing, or an agent's
    // outgoing connection that the kernel gave that ephemeral port), so a bind failure is retried.
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (true) {
      try {
        startHub(httpsPort, tunnelPort);
        return;
      } catch (RuntimeException e) {
        if (!isBindFailure(e) || System.nanoTime() > deadline) {
          throw e;
        }
        LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
      }
    }
  }

  private static boolean isBindFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException || String.valueOf(t.getMessage()).contains("Address already in use")) {
        return true;
      }
    }
    return false;
  }

  public Hub hub() {
    return hub;
  }

  public String adminToken() {
    return adminToken;
  }

  public Agent agent(String name) {
    return agents.get(name);
  }

  public SandboxCluster sandbox(String name) {
    return sandboxes.get(name);
  }

  public List<Member> members() {
    return members;
  }

  public Path agentDir(String name) {
    return workDir.resolve("agents").resolve(name);
  }

  private Path kubeconfigOfSandbox(String name) {
    return workDir.resolve("sandboxes").resolve(name + ".kubeconfig");
  }

  /** A kubeconfig with one context per member, through the hub, for the admin user. */
  public String kubeconfig() {
    return Kubeconfigs.render(hub.url(), Pem.encode(hub.pki().ca().certificate()), adminToken, hub.registry().list());
  }

  public Path writeKubeconfig(Path file) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, kubeconfig(), StandardCharsets.UTF_8);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the kubeconfig " + file, e);
    }
  }

  /** A fabric8 client for one member, through the hub's gateway. */
  public KubernetesClient clientThroughHub(String name) {
    Config config = Config.fromKubeconfig(name, kubeconfig(), null);
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  @Override
  public void close() {
    List<AutoCloseable> all = new ArrayList<>(agents.values());
    if (hub != null) {
      all.add(hub);
    }
    all.addAll(sandboxes.values());
    for (AutoCloseable c : all) {
      try {
        c.close();
      } catch (Exception ignored) {
        // Keep closing the rest; a test's own assertion says what went wrong.
      }
    }
    agents.clear();
  }
}
