package io.outpost.agent;

/**
 * A part of the agent beyond the apiserver tunnel (devices, delivery, ...). Features are beans of
 * the agent's context; {@link Agent} starts every one after the tunnel and closes them with the
 * context. A feature follows the tunnel with {@link io.outpost.tunnel.client.TunnelClient#addListener}
 * and reports its health through {@link ComponentStatuses}.
 */
public interface AgentFeature extends AutoCloseable {

  /** Starts the feature's work; returns quickly (a broker that is down is retried, not waited for). */
  void start();

  @Override
  void close();
}
