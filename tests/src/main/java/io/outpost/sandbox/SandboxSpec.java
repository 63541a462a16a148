package io.outpost.sandbox;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a {@link SandboxCluster} should look like when it starts.
 *
 * <p>Build one with {@link #builder(String)}; every field but the name has a default, so
 * {@code SandboxSpec.builder("edge-1").build()} is a complete spec.
 *
 * @param name           cluster name; prefixes node names ({@code NAME-node-1}) and names the kubeconfig cluster
 * @param port           port of the apiserver stand-in on 127.0.0.1; {@code 0} lets the OS choose
 * @param nodes          number of seeded Nodes (may be 0)
 * @param podsPerNode    number of seeded Pods scheduled on each node (may be 0)
 * @param namespaces     namespaces to create; Deployments and Pods are spread over them
 * @param labels         free-form labels for callers (e.g. the hub's view of the cluster); the
 *                       sandbox only reads {@code topology.kubernetes.io/region} and
 *                       {@code topology.kubernetes.io/zone} to label its nodes
 * @param https          serve HTTPS with a certificate of the sandbox's own CA, as a real apiserver
 *                       does, instead of plain HTTP (the default)
 */
public record SandboxSpec(
    String name,
    int port,
    int nodes,
    int podsPerNode,
    List<String> namespaces,
    Map<String, String> labels,
    boolean https) {

  /** Namespaces a fresh sandbox gets unless told otherwise. */
  public static final List<String> DEFAULT_NAMESPACES = List.of("default", "kube-system", "shop");
  public static final int DEFAULT_NODES = 3;
  public static final int DEFAULT_PODS_PER_NODE = 4;

  public SandboxSpec {
    Objects.requireNonNull(name, "name");
    // The name ends up in object names (NAME-node-1), which must be DNS-1123 labels.
    if (!name.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?") || name.length() > 40) {
      throw new IllegalArgumentException("sandbox name '" + name
          + "' must be a lower-case DNS label (a-z, 0-9, '-', at most 40 characters)");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be between 0 and 65535, got " + port);
    }
    if (nodes < 0 || podsPerNode < 0) {
      throw new IllegalArgumentException("nodes and podsPerNode must not be negative, got "
          + nodes + " and " + podsPerNode);
    }
    namespaces = List.copyOf(namespaces);
    if (namespaces.isEmpty()) {
      throw new IllegalArgumentException("a sandbox needs at least one namespace");
    }
    labels = Map.copyOf(labels);
  }

  /** A spec with every default: 3 nodes, 4 pods per node, namespaces default, kube-system and shop. */
  public static SandboxSpec defaults(String name) {
    return builder(name).build();
  }

  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** Mutable builder for {@link SandboxSpec}; validation happens in {@link #build()}. */
  public static final class Builder {
    private final String name;
    private int port;
    private int nodes = DEFAULT_NODES;
    private int podsPerNode = DEFAULT_PODS_PER_NODE;
    private List<String> namespaces = DEFAULT_NAMESPACES;
    private Map<String, String> labels = Map.of();
    private boolean https;

    private Builder(String name) {
      this.name = name;
    }

    public Builder port(int port) {
      this.port = port;
      return this;
    }

    public Builder nodes(int nodes) {
      this.nodes = nodes;
      return this;
    }

    public Builder podsPerNode(int podsPerNode) {
      this.podsPerNode = podsPerNode;
      return this;
    }

    public Builder namespaces(List<String> namespaces) {
      this.namespaces = namespaces;
      return this;
    }

    public Builder labels(Map<String, String> labels) {
      this.labels = labels;
      return this;
    }

    public Builder https(boolean https) {
      this.https = https;
      return this;
    }

    public SandboxSpec build() {
      return new SandboxSpec(name, port, nodes, podsPerNode, namespaces, labels, https);
    }
  }
}
