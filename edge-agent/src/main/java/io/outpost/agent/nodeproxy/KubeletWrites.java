package io.outpost.agent.nodeproxy;

import java.util.Optional;
import java.util.function.Supplier;

/**
 * The writes a kubelet needs to succeed to keep going while the API server is unreachable, and how
 * they are answered. They are acknowledged and <b>dropped, not queued</b>: a heartbeat is only worth
 * its latest value, and the kubelet sends a fresh one within seconds of the link returning (a node
 * lease every 10 s, node status at least every 5 min). A stale resourceVersion in the echoed answer
 * at worst costs the kubelet one 409 Conflict and a re-read once online.
 *
 * <ul>
 *   <li>{@code PUT /apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/NAME} (lease renewal)
 *       and {@code POST .../kube-node-lease/leases} (lease creation): answered with the request body.</li>
 *   <li>{@code PUT /api/v1/nodes/NAME/status}: answered with the request body;
 *       {@code PATCH /api/v1/nodes/NAME/status}: answered with the client's cached Node, if any.</li>
 * </ul>
 * Every other write (events included: the kubelet drops those it cannot send) is refused with 503.
 */
final class KubeletWrites {

  static final String LEASE_NAMESPACE = "kube-node-lease";

  private KubeletWrites() {}

  /** The body to answer with, or empty when this write must be refused. */
  static Optional<byte[]> acknowledge(ApiRequest request, byte[] body, Supplier<Optional<byte[]>> cachedObject) {
    if (request.verb() != ApiRequest.Verb.WRITE) {
      return Optional.empty();
    }
    boolean lease = request.group().equals("coordination.k8s.io") && request.plural().equals("leases")
        && request.namespace().equals(LEASE_NAMESPACE) && request.subresource() == null;
    if (lease && ((request.method().equals("PUT") && request.name() != null)
        || (request.method().equals("POST") && request.name() == null))) {
      return jsonObject(body);
    }
    boolean nodeStatus = request.group().isEmpty() && request.plural().equals("nodes") && request.name() != null
        && "status".equals(request.subresource());
    if (nodeStatus && request.method().equals("PUT")) {
      return jsonObject(body);
    }
    if (nodeStatus && request.method().equals("PATCH")) {
      return cachedObject.get();
    }
    return Optional.empty();
  }

  private static Optional<byte[]> jsonObject(byte[] body) {
    int i = 0;
    while (i < body.length && Character.isWhitespace(body[i])) {
      i++;
    }
    return i < body.length && body[i] == '{' ? Optional.of(body) : Optional.empty();
  }
}
