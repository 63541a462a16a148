package io.outpost.tunnel.server;

import io.grpc.StatusException;
import io.outpost.tunnel.proto.JoinRequest;
import io.outpost.tunnel.proto.JoinResponse;

/**
 * The hub's policy on who may join and connect, kept out of the wire code. Implementations throw
 * {@link StatusException} with a description the agent's operator can act on.
 */
public interface AgentGatekeeper {

  /** Trades a bootstrap token and a CSR for a client certificate. */
  JoinResponse join(JoinRequest request) throws StatusException;

  /** Issues a fresh certificate for an agent whose current one is still valid. Returns PEM. */
  String renew(AgentIdentity identity, byte[] csrDer) throws StatusException;

  /**
   * Lets a certificate-bearing call through, or refuses it: a deleted cluster, or a certificate
   * that is not the one the cluster currently holds.
   */
  void admit(AgentIdentity identity) throws StatusException;
}
