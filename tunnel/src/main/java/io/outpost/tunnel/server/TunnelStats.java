package io.outpost.tunnel.server;

import java.util.concurrent.atomic.AtomicLong;

/** Counters of the hub end of the tunnel, read by the hub's metrics. */
public final class TunnelStats {

  final AtomicLong exchangesStarted = new AtomicLong();
  final AtomicLong exchangesFailed = new AtomicLong();
  final AtomicLong exchangesInFlight = new AtomicLong();
  final AtomicLong bytesToAgents = new AtomicLong();
  final AtomicLong bytesFromAgents = new AtomicLong();
  final AtomicLong protocolErrors = new AtomicLong();

  public long exchangesStarted() {
    return exchangesStarted.get();
  }

  public long exchangesFailed() {
    return exchangesFailed.get();
  }

  public long exchangesInFlight() {
    return exchangesInFlight.get();
  }

  public long bytesToAgents() {
    return bytesToAgents.get();
  }

  public long bytesFromAgents() {
    return bytesFromAgents.get();
  }

  public long protocolErrors() {
    return protocolErrors.get();
  }
}
