package io.outpost.tunnel.server;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.outpost.tunnel.proto.TunnelGrpc;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

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
    X509Certificate cert = peerCertificate(call);
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

  private static X509Certificate peerCertificate(ServerCall<?, ?> call) {
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (session == null) {
      return null;
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate x ? x : null;
    } catch (SSLPeerUnverifiedException ignored) {
      return null;
    }
  }
}
