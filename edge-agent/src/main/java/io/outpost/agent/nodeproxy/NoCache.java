package io.outpost.agent.nodeproxy;

import io.outpost.cache.objects.CacheBudget;
import io.outpost.cache.objects.CacheStats;
import io.outpost.cache.objects.CachedObject;
import io.outpost.cache.objects.ListResult;
import io.outpost.cache.objects.ListScope;
import io.outpost.cache.objects.ObjectCache;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The cache of a node proxy whose cache file cannot be opened (data dir not writable, disk gone):
 * it records nothing and finds nothing, so the proxy fails open: it keeps forwarding while the API
 * server is reachable, and offline answers 503 (never an empty list, never stale data).
 */
public final class NoCache implements ObjectCache {

  private final String why;

  /** @param why what went wrong, for logs ("cannot create /var/lib/outpost: read-only file system") */
  public NoCache(String why) {
    this.why = why;
  }

  @Override
  public boolean recordObject(String client, String resource, String namespace, String name, byte[] json) {
    return false;
  }

  @Override
  public boolean recordObject(String client, String resource, byte[] json) {
    return false;
  }

  @Override
  public boolean deleteObject(String client, String resource, String namespace, String name) {
    return false;
  }

  @Override
  public boolean replaceList(ListScope scope, String listResourceVersion, List<byte[]> itemsJson) {
    return false;
  }

  @Override
  public Optional<CachedObject> get(String client, String resource, String namespace, String name) {
    return Optional.empty();
  }

  @Override
  public ListResult list(ListScope scope) {
    return new ListResult.NeverListed();
  }

  @Override
  public CacheStats stats() {
    return new CacheStats(0, 0, 0, CacheBudget.defaults().maxBytes(), 0, 0, 0, Map.of());
  }

  @Override
  public void close() {
    // Nothing was opened.
  }

  @Override
  public String toString() {
    return "no cache (" + why + ")";
  }
}
