package io.outpost.agent.nodeproxy;

import io.outpost.cache.objects.CacheStats;
import io.outpost.cache.objects.ObjectCache;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The node proxy's metrics in the Prometheus text format, served by the proxy itself at
 * {@value #PATH} on its listen port (a path no API server serves, so it is never forwarded):
 * cache hits, misses, bytes and entries per client, evictions, upstream health and outages,
 * requests forwarded and answered from the cache, and the group commit's batches and committed
 * watermarks.
 *
 * <pre>{@code
 * curl -s http://127.0.0.1:10261/outpost/metrics | grep outpost_node_proxy_upstream_healthy
 * }</pre>
 */
final class ProxyMetrics {

  static final String PATH = "/outpost/metrics";
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  final LongAdder forwarded = new LongAdder();
  final LongAdder answeredFromCache = new LongAdder();
  final LongAdder tooLargeToCache = new LongAdder();

  private final ObjectCache cache;
  private final UpstreamHealth health;
  private final CacheWriter writer;
  private final int maxRecordedBodyBytes;

  ProxyMetrics(ObjectCache cache, UpstreamHealth health, CacheWriter writer, int maxRecordedBodyBytes) {
    this.cache = cache;
    this.health = health;
    this.writer = writer;
    this.maxRecordedBodyBytes = maxRecordedBodyBytes;
  }

  String render() {
    StringBuilder out = new StringBuilder(4096);
    gauge(out, "outpost_node_proxy_upstream_healthy", "1 while the API server is reachable, 0 during an outage",
        health.isHealthy() ? 1 : 0);
    counter(out, "outpost_node_proxy_outages_total", "Outages since start (healthy to unhealthy transitions)",
        health.outages());
    counter(out, "outpost_node_proxy_requests_forwarded_total", "Requests forwarded to the API server",
        forwarded.sum());
    counter(out, "outpost_node_proxy_requests_from_cache_total",
        "Requests answered by the proxy itself (cache, held watches, refusals) while upstream was unreachable",
        answeredFromCache.sum());
    counter(out, "outpost_node_proxy_answers_too_large_to_cache_total",
        "GET/LIST answers forwarded complete but not cached: larger than outpost_node_proxy_max_recorded_body_bytes",
        tooLargeToCache.sum());
    gauge(out, "outpost_node_proxy_max_recorded_body_bytes", "The largest answer the proxy caches (--max-recorded-body)",
        maxRecordedBodyBytes);
    CacheStats stats = cache.stats();
    Map<String, CacheStats.Client> clients = new TreeMap<>(stats.clients());
    perClient(out, "outpost_node_proxy_cache_hits_total", "counter", "Cache reads that found an answer",
        clients, c -> c.hits());
    perClient(out, "outpost_node_proxy_cache_misses_total", "counter", "Cache reads that found nothing",
        clients, c -> c.misses());
    perClient(out, "outpost_node_proxy_cache_bytes", "gauge", "Bytes the cache holds", clients, c -> c.bytes());
    perClient(out, "outpost_node_proxy_cache_entries", "gauge", "Objects the cache holds", clients, c -> c.entries());
    perClient(out, "outpost_node_proxy_cache_evictions_total", "counter",
        "Scopes evicted (least recently used) to stay within the budget", clients, c -> c.evictions());
    perClient(out, "outpost_node_proxy_cache_rejected_writes_total", "counter",
        "Writes not cached because their scope alone exceeds the client's quota", clients, c -> c.rejectedWrites());
    gauge(out, "outpost_node_proxy_cache_max_bytes", "The cache's byte budget", stats.maxBytes());
    counter(out, "outpost_node_proxy_cache_commits_total", "Group commits (one fsync each)", writer.batches());
    counter(out, "outpost_node_proxy_cache_writes_total", "Cache writes committed", writer.writes());
    counter(out, "outpost_node_proxy_cache_write_failures_total", "Cache writes that could not be committed",
        writer.failed());
    counter(out, "outpost_node_proxy_cache_writes_dropped_total", "Cache writes dropped, the queue being full",
        writer.dropped());
    gauge(out, "outpost_node_proxy_cache_writes_queued", "Cache writes waiting for the next commit", writer.queued());
    out.append("# HELP outpost_node_proxy_cache_commit_seconds_total Time spent committing\n")
        .append("# TYPE outpost_node_proxy_cache_commit_seconds_total counter\n")
        .append("outpost_node_proxy_cache_commit_seconds_total ").append(writer.commitSeconds()).append('\n');
    Map<String, Long> watermarks = new TreeMap<>(writer.committedWatermarks());
    if (!watermarks.isEmpty()) {
      out.append("# HELP outpost_node_proxy_cache_committed_resource_version Highest resourceVersion of a watch event"
          + " committed to disk, per client and resource\n")
          .append("# TYPE outpost_node_proxy_cache_committed_resource_version gauge\n");
      watermarks.forEach((key, rv) -> {
        int space = key.indexOf(' ');
        out.append("outpost_node_proxy_cache_committed_resource_version{client=\"")
            .append(escape(key.substring(0, space))).append("\",resource=\"").append(escape(key.substring(space + 1)))
            .append("\"} ").append(rv).append('\n');
      });
    }
    java.lang.management.MemoryUsage heap =
        java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    gauge(out, "outpost_node_proxy_jvm_heap_used_bytes", "Java heap in use (live and not yet collected)",
        heap.getUsed());
    gauge(out, "outpost_node_proxy_jvm_heap_committed_bytes", "Java heap reserved from the OS", heap.getCommitted());
    return out.toString();
  }

  private static void gauge(StringBuilder out, String name, String help, long value) {
    single(out, name, "gauge", help, value);
  }

  private static void counter(StringBuilder out, String name, String help, long value) {
    single(out, name, "counter", help, value);
  }

  private static void single(StringBuilder out, String name, String type, String help, long value) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n')
        .append("# TYPE ").append(name).append(' ').append(type).append('\n')
        .append(name).append(' ').append(value).append('\n');
  }

  private static void perClient(StringBuilder out, String name, String type, String help,
                                Map<String, CacheStats.Client> clients,
                                java.util.function.ToLongFunction<CacheStats.Client> value) {
    out.append("# HELP ").append(name).append(' ').append(help).append(", per client\n")
        .append("# TYPE ").append(name).append(' ').append(type).append('\n');
    clients.forEach((client, stats) -> out.append(name).append("{client=\"").append(escape(client)).append("\"} ")
        .append(value.applyAsLong(stats)).append('\n'));
  }

  private static String escape(String label) {
    return label.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
