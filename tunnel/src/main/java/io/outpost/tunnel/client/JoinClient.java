package io.outpost.tunnel.client;

import com.google.protobuf.ByteString;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.outpost.tunnel.pki.CertificateRequests;
import io.outpost.tunnel.pki.PinnedCaTrustManager;
import io.outpost.tunnel.pki.Pem;
import io.outpost.tunnel.pki.Tls;
import io.outpost.tunnel.proto.ClusterKind;
import io.outpost.tunnel.proto.JoinRequest;
import io.outpost.tunnel.proto.JoinResponse;
import io.outpost.tunnel.proto.RenewRequest;
import io.outpost.tunnel.proto.RenewResponse;
import io.outpost.tunnel.proto.TunnelGrpc;
import java.security.KeyPair;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Joins a cluster to a hub, as kubeadm joins a node: trust the hub only if its CA matches the
 * pin, then trade the bootstrap token and a fresh key's CSR for a client certificate.
 *
 * <pre>{@code
 * JoinClient.Result r = JoinClient.join("hub.example", 7443, "sha256:…", "abcdef.0123456789abcdef",
 *     "edge-sh-01", ClusterKind.EDGE, Map.of("region", "sh"), "0.1.0");
 * }</pre>
 */
public final class JoinClient {

  static final Duration DEADLINE = Duration.ofSeconds(15);

  private JoinClient() {}

  /** What the agent keeps: its key, its certificate, and the hub CA it pinned. */
  public record Result(KeyPair keys, X509Certificate certificate, X509Certificate ca) {}

  /** @throws JoinException with a message that says what to fix */
  public static Result join(String host, int port, String caPin, String token, String clusterName,
      ClusterKind kind, Map<String, String> labels, String agentVersion) throws JoinException {
    PinnedCaTrustManager trust = new PinnedCaTrustManager(caPin);
    KeyPair keys = CertificateRequests.newKeyPair();
    ManagedChannel channel = Grpc.newChannelBuilderForAddress(host, port, Tls.pinnedJoinCredentials(trust)).build();
    try {
      JoinResponse response = TunnelGrpc.newBlockingStub(channel)
          .withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
          .join(JoinRequest.newBuilder()
              .setToken(token)
              .setClusterName(clusterName)
              .setKind(kind)
              .putAllLabels(labels)
              .setCsrDer(ByteString.copyFrom(CertificateRequests.csr(keys, clusterName)))
              .setAgentVersion(agentVersion)
              .build());
      X509Certificate cert = Pem.decodeCertificates(response.getCertificatePem(), "the hub's join answer").get(0);
      X509Certificate ca = trust.matchedCa().orElseGet(
          () -> Pem.decodeCertificates(response.getCaPem(), "the hub's join answer").get(0));
      return new Result(keys, cert, ca);
    } catch (StatusRuntimeException e) {
      throw new JoinException(explain(host, port, e));
    } finally {
      channel.shutdownNow();
    }
  }

  /**
   * Trades the agent's still-valid certificate (in {@code credentials}) and a new key's CSR for a
   * fresh certificate.
   */
  public static X509Certificate renew(String host, int port, io.grpc.ChannelCredentials credentials,
      KeyPair newKeys, String clusterName) throws JoinException {
    ManagedChannel channel = Grpc.newChannelBuilderForAddress(host, port, credentials).build();
    try {
      RenewResponse response = TunnelGrpc.newBlockingStub(channel)
          .withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
          .renew(RenewRequest.newBuilder()
              .setCsrDer(ByteString.copyFrom(CertificateRequests.csr(newKeys, clusterName)))
              .build());
      return Pem.decodeCertificates(response.getCertificatePem(), "the hub's renewal answer").get(0);
    } catch (StatusRuntimeException e) {
      throw new JoinException(explain(host, port, e));
    } finally {
      channel.shutdownNow();
    }
  }

  private static String explain(String host, int port, StatusRuntimeException e) {
    Status status = e.getStatus();
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof CertificateException && t.getMessage() != null && t.getMessage().contains("--ca-hash")) {
        return "join refused: " + t.getMessage();
      }
    }
    return switch (status.getCode()) {
      case PERMISSION_DENIED, ALREADY_EXISTS, INVALID_ARGUMENT, UNAUTHENTICATED ->
          "join refused by the hub: " + status.getDescription();
      case UNAVAILABLE -> "cannot reach the hub at " + host + ":" + port + ": "
          + (status.getCause() != null ? status.getCause().getMessage() : status.getDescription())
          + " (check --hub and that the hub's tunnel port is reachable from here)";
      case DEADLINE_EXCEEDED -> "the hub at " + host + ":" + port + " did not answer within "
          + DEADLINE.toSeconds() + " s";
      default -> "join failed: " + status.getCode() + " " + status.getDescription();
    };
  }

  /** A join that did not work; the message is for the operator. */
  public static final class JoinException extends Exception {
    public JoinException(String message) {
      super(message);
    }
  }
}
