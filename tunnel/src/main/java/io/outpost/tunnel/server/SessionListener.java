package io.outpost.tunnel.server;

import io.outpost.tunnel.proto.Heartbeat;
import io.outpost.tunnel.proto.Hello;

/** What the hub's registry learns from the control streams. Called on gRPC threads: be quick. */
public interface SessionListener {

  void connected(AgentSession session, Hello hello);

  void heartbeat(AgentSession session, Heartbeat heartbeat);

  /** The control stream ended; {@code reason} says why in words fit for a log line. */
  void disconnected(AgentSession session, String reason);
}
