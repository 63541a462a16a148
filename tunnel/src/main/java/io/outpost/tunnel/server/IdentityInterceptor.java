package io.outpost.tunnel.server;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.outpost.tunnel.pki.Tls;
import io.outpost.tunnel.proto.TunnelGrpc;
import java.security.cert.X509Certificate;

/**
 * Puts the caller's {@link AgentIdentity} into the gRPC context. TLS has already verified any
 * client certificate against the hub CA; here every method but Join insists on having one, and
 * the gatekeeper decides whether that certificate is still the cluster's current one.
 */
final class IdentityInterceptor implements ServerInterceptor {

  static final Context.Key<AgentIdentity> IDENTITY = Context.key("outpost-agent-identity");

  private final AgentGatekeeper gatekeeper;

  IdentityInterceptor(AgentGatekeeper gatekeeper) {
    this.gatekeeper = gatekeeper;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (call.getMethodDescriptor().getFullMethodName().equals(TunnelGrpc.getJoinMethod().getFullMethodName())) {
      return next.startCall(call, headers);
    }
    X509Certificate cert = Tls.peerCertificate(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION)).orElse(null);
    if (cert == null) {
      call.close(Status.UNAUTHENTICATED.withDescription(
          "no client certificate: this agent has not joined; run 'outpost agent join --hub HOST:PORT --token TOKEN --ca-hash sha256:...'"),
          new Metadata());
      return new ServerCall.Listener<>() {};
    }
    AgentIdentity identity = AgentIdentity.of(cert);
    try {
      gatekeeper.admit(identity);
    } catch (io.grpc.StatusException e) {
      call.close(e.getStatus(), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return Contexts.interceptCall(Context.current().withValue(IDENTITY, identity), call, headers, next);
  }

}
