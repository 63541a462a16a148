package io.outpost.hub.registry;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import java.util.List;
import java.util.Map;

/**
 * What the hub knows of one member cluster. Persisted as JSON in the registry store; also the
 * REST API's view of a cluster.
 *
 * @param status Joined (never connected yet), Ready, or Offline
 * @param certificateSerials serials of the client certificates this cluster's agent may use: the
 *     current one and, during a rotation, the previous one
 * @param components the status of the agent's other parts as it last reported them (for example
 *     {@code mqtt}); empty until it reports any
 */
@Serdeable
public record ClusterRecord(
    String name,
    String kind,
    Map<String, String> labels,
    String status,
    @Nullable String agentVersion,
    @Nullable String kubernetesVersion,
    int nodeCount,
    int podCount,
    @Nullable String apiserverError,
    @Nullable String lastSeen,
    String joinedAt,
    @Nullable String statusReason,
    List<String> certificateSerials,
    @Nullable Map<String, String> components) {

  public static final String JOINED = "Joined";
  public static final String READY = "Ready";
  public static final String OFFLINE = "Offline";

  ClusterRecord withStatus(String newStatus, String reason, String seen) {
    return new ClusterRecord(name, kind, labels, newStatus, agentVersion, kubernetesVersion, nodeCount,
        podCount, apiserverError, seen == null ? lastSeen : seen, joinedAt, reason, certificateSerials, components);
  }

  ClusterRecord withSummary(String agent, String kube, int nodes, int pods, String apiError, String seen,
      Map<String, String> reported) {
    return new ClusterRecord(name, kind, labels, status, agent, kube, nodes, pods,
        apiError == null || apiError.isEmpty() ? null : apiError, seen, joinedAt, statusReason, certificateSerials,
        Map.copyOf(reported));
  }

  ClusterRecord withLabels(Map<String, String> newLabels) {
    return new ClusterRecord(name, kind, Map.copyOf(newLabels), status, agentVersion, kubernetesVersion,
        nodeCount, podCount, apiserverError, lastSeen, joinedAt, statusReason, certificateSerials, components);
  }

  ClusterRecord withSerials(List<String> serials) {
    return new ClusterRecord(name, kind, labels, status, agentVersion, kubernetesVersion, nodeCount,
        podCount, apiserverError, lastSeen, joinedAt, statusReason, List.copyOf(serials), components);
  }
}
