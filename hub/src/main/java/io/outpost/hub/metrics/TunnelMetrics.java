package io.outpost.hub.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Requires;
import io.outpost.tunnel.server.TunnelServer;
import io.outpost.tunnel.server.TunnelStats;

/** Publishes the tunnel's counters to Micrometer (and so to {@code /prometheus}). */
@Context
@Requires(beans = {TunnelServer.class, MeterRegistry.class})
public class TunnelMetrics {

  public TunnelMetrics(TunnelServer tunnel, MeterRegistry meters) {
    TunnelStats stats = tunnel.stats();
    Gauge.builder("outpost.tunnels.connected", tunnel, t -> t.sessions().size())
        .description("agents with an open control stream").register(meters);
    Gauge.builder("outpost.exchanges.inflight", stats, TunnelStats::exchangesInFlight)
        .description("proxied requests, watches and log streams in flight").register(meters);
    FunctionCounter.builder("outpost.exchanges.started", stats, TunnelStats::exchangesStarted)
        .description("proxied exchanges started").register(meters);
    FunctionCounter.builder("outpost.exchanges.failed", stats, TunnelStats::exchangesFailed)
        .description("proxied exchanges that ended in an error").register(meters);
    FunctionCounter.builder("outpost.tunnel.bytes", stats, TunnelStats::bytesToAgents)
        .tag("direction", "to-agents").description("body bytes sent through tunnels").register(meters);
    FunctionCounter.builder("outpost.tunnel.bytes", stats, TunnelStats::bytesFromAgents)
        .tag("direction", "from-agents").description("body bytes received through tunnels").register(meters);
    FunctionCounter.builder("outpost.tunnel.protocol.errors", stats, TunnelStats::protocolErrors)
        .description("malformed frames or streams from agents").register(meters);
  }
}
