package io.outpost.hub.join;

import io.grpc.Status;
import io.grpc.StatusException;
import io.outpost.cache.store.DurableStore;
import io.outpost.hub.auth.BootstrapTokens;
import io.outpost.hub.registry.ClusterRecord;
import io.outpost.hub.registry.ClusterRegistry;
import io.outpost.tunnel.pki.Pem;
import io.outpost.tunnel.proto.ClusterKind;
import io.outpost.tunnel.proto.JoinRequest;
import io.outpost.tunnel.proto.JoinResponse;
import io.outpost.tunnel.server.AgentGatekeeper;
import io.outpost.tunnel.server.AgentIdentity;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Who may join and connect. Join trades a valid, unused, unexpired bootstrap token for a client
 * certificate naming the cluster; the token is consumed and the cluster registered in one
 * transaction. Afterwards only the certificate the registry holds for a name opens its tunnel.
 */
public final class JoinService implements AgentGatekeeper {

  private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  private final HubPki pki;
  private final BootstrapTokens tokens;
  private final ClusterRegistry registry;
  private final DurableStore store;
  private final Duration certValidity;

  public JoinService(HubPki pki, BootstrapTokens tokens, ClusterRegistry registry, DurableStore store,
      Duration certValidity) {
    this.pki = pki;
    this.tokens = tokens;
    this.registry = registry;
    this.store = store;
    this.certValidity = certValidity;
  }

  @Override
  public synchronized JoinResponse join(JoinRequest request) throws StatusException {
    String name = request.getClusterName();
    if (!NAME.matcher(name).matches()) {
      throw status(Status.INVALID_ARGUMENT, "cluster name \"" + name + "\" is not valid: use at most 63 lower-case"
          + " letters, digits and '-', starting and ending with a letter or digit (e.g. edge-sh-01)");
    }
    String tokenId;
    try {
      tokenId = tokens.check(request.getToken());
    } catch (BootstrapTokens.InvalidTokenException e) {
      throw status(Status.PERMISSION_DENIED, e.getMessage());
    }
    Optional<ClusterRecord> existing = registry.get(name);
    if (existing.isPresent()) {
      throw status(Status.ALREADY_EXISTS, "cluster name \"" + name + "\" is already held by another agent (joined "
          + existing.get().joinedAt() + "); delete it first with 'outpost clusters delete " + name
          + "' or join with another --name");
    }
    X509Certificate cert;
    try {
      cert = pki.ca().signClient(request.getCsrDer().toByteArray(), name, certValidity);
    } catch (IllegalArgumentException e) {
      throw status(Status.INVALID_ARGUMENT, e.getMessage());
    }
    String kind = kindOf(request.getKind());
    store.transaction(() -> {
      tokens.consume(tokenId, name);
      registry.register(name, kind, request.getLabelsMap(), AgentIdentity.serialOf(cert));
    });
    return JoinResponse.newBuilder()
        .setCertificatePem(Pem.encode(cert))
        .setCaPem(Pem.encode(pki.ca().certificate()))
        .build();
  }

  @Override
  public String renew(AgentIdentity identity, byte[] csrDer) throws StatusException {
    X509Certificate cert;
    try {
      cert = pki.ca().signClient(csrDer, identity.clusterName(), certValidity);
    } catch (IllegalArgumentException e) {
      throw status(Status.INVALID_ARGUMENT, e.getMessage());
    }
    registry.rotateSerial(identity.clusterName(), AgentIdentity.serialOf(cert));
    return Pem.encode(cert);
  }

  @Override
  public void admit(AgentIdentity identity) throws StatusException {
    ClusterRecord record = registry.get(identity.clusterName()).orElseThrow(() -> status(Status.PERMISSION_DENIED,
        "cluster \"" + identity.clusterName() + "\" is not registered at this hub (it was deleted?);"
            + " join again with a new bootstrap token"));
    if (!record.certificateSerials().contains(identity.serial())) {
      throw status(Status.PERMISSION_DENIED, "this certificate (serial " + identity.serial()
          + ") is not the one cluster \"" + identity.clusterName() + "\" holds: another agent owns the name."
          + " Delete the cluster at the hub and join again, or join with another --name");
    }
  }

  private static String kindOf(ClusterKind kind) {
    return kind == ClusterKind.CLUSTER_KIND_UNSPECIFIED || kind == ClusterKind.UNRECOGNIZED
        ? "edge" : kind.name().toLowerCase(Locale.ROOT);
  }

  private static StatusException status(Status status, String description) {
    return status.withDescription(description).asException();
  }
}
