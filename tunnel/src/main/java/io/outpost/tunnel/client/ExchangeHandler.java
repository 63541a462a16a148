package io.outpost.tunnel.client;

import io.outpost.tunnel.proto.RequestHead;

/**
 * Serves one exchange the hub asked for, on the agent. Called on a tunnel thread: start the work
 * and return; answer through {@link AgentExchange}.
 */
@FunctionalInterface
public interface ExchangeHandler {

  void handle(RequestHead request, AgentExchange exchange);
}
