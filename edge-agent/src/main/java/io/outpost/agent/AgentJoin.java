package io.outpost.agent;

import io.outpost.agent.identity.AgentIdentityFiles;
import io.outpost.tunnel.client.JoinClient;
import io.outpost.tunnel.pki.CaPin;
import io.outpost.tunnel.proto.ClusterKind;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/** {@code outpost agent join}: checks the operator's input, joins, and stores the identity. */
public final class AgentJoin {

  private AgentJoin() {}

  /**
   * @param hub {@code HOST:PORT} of the hub's tunnel listener
   * @throws IllegalArgumentException for input that cannot work, naming the flag
   * @throws JoinClient.JoinException when the hub refuses or cannot be reached
   */
  public static String join(String hub, String token, String caHash, String name, String kind,
      Map<String, String> labels, Path dataDir) throws JoinClient.JoinException, IOException {
    int colon = hub.lastIndexOf(':');
    if (colon <= 0 || colon == hub.length() - 1) {
      throw new IllegalArgumentException("--hub \"" + hub + "\" is not valid: expected HOST:PORT of the hub's tunnel"
          + " listener, e.g. hub.example.com:7443");
    }
    String host = hub.substring(0, colon).replace("[", "").replace("]", "");
    int port;
    try {
      port = Integer.parseInt(hub.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--hub \"" + hub + "\" has no valid port after ':'");
    }
    String pin = CaPin.parse(caHash);
    ClusterKind clusterKind;
    try {
      clusterKind = ClusterKind.valueOf(kind.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--kind \"" + kind + "\" is not valid: expected idc, cloud or edge");
    }
    if (AgentIdentityFiles.exists(dataDir)) {
      throw new IllegalArgumentException("--data-dir " + dataDir + " already holds a joined agent ("
          + AgentIdentityFiles.load(dataDir).current().clusterName() + "); run 'outpost agent run --data-dir "
          + dataDir + "' or choose an empty --data-dir");
    }
    JoinClient.Result result = JoinClient.join(host, port, pin, token, name, clusterKind, labels, Versions.AGENT);
    AgentIdentityFiles.save(dataDir, new AgentIdentityFiles.Identity(host, port, name, result.certificate(),
        result.keys().getPrivate(), result.ca()));
    return name;
  }
}
