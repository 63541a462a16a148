package io.outpost.hub.api;

import io.outpost.hub.registry.ClusterRecord;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/** Renders a kubeconfig with one context per member cluster, each pointing at the hub's gateway. */
public final class Kubeconfigs {

  private Kubeconfigs() {}

  /**
   * @param hubUrl e.g. {@code https://hub.example:8443}
   * @param caPem the hub CA that signed the hub's serving certificate
   * @param token the hub user's bearer token
   */
  public static String render(String hubUrl, String caPem, String token, List<ClusterRecord> clusters) {
    String ca = Base64.getEncoder().encodeToString(caPem.getBytes(StandardCharsets.US_ASCII));
    StringBuilder y = new StringBuilder("apiVersion: v1\nkind: Config\npreferences: {}\nclusters:\n");
    for (ClusterRecord c : clusters) {
      y.append("- name: ").append(c.name()).append('\n')
          .append("  cluster:\n")
          .append("    server: ").append(hubUrl).append("/clusters/").append(c.name()).append("/k8s\n")
          .append("    certificate-authority-data: ").append(ca).append('\n');
    }
    y.append(clusters.isEmpty() ? "contexts: []\n" : "contexts:\n");
    for (ClusterRecord c : clusters) {
      y.append("- name: ").append(c.name()).append('\n')
          .append("  context:\n")
          .append("    cluster: ").append(c.name()).append('\n')
          .append("    user: outpost\n");
    }
    y.append("users:\n- name: outpost\n  user:\n    token: ").append(token).append('\n');
    if (!clusters.isEmpty()) {
      y.append("current-context: ").append(clusters.get(0).name()).append('\n');
    }
    return y.toString();
  }
}
