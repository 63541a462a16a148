package io.outpost.nodeproxy;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.outpost.agent.nodeproxy.NodeProxy;
import io.outpost.agent.nodeproxy.NodeProxySettings;
import io.outpost.agent.nodeproxy.UpstreamHealth;
import io.outpost.cache.objects.CacheBudget;
import io.outpost.cache.objects.DurableObjectCache;
import io.outpost.cache.objects.ObjectCache;
import io.outpost.sandbox.SandboxCluster;
import io.outpost.sandbox.SandboxSpec;
import io.outpost.testing.FaultyLink;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A node proxy in the test's JVM whose upstream sandbox apiserver sits behind a {@link FaultyLink}
 * the test can cut and restore; health probes every 200 ms so outages show within a second.
 */
final class InProcessNodeProxy implements AutoCloseable {

  final SandboxCluster sandbox;
  final FaultyLink link;
  final KubernetesClient upstream;
  final ObjectCache cache;
  final NodeProxy proxy;

  private InProcessNodeProxy(SandboxCluster sandbox, FaultyLink link, KubernetesClient upstream, ObjectCache cache,
      NodeProxy proxy) {
    this.sandbox = sandbox;
    this.link = link;
    this.upstream = upstream;
    this.cache = cache;
    this.proxy = proxy;
  }

  static InProcessNodeProxy start(Path dir) throws Exception {
    return start(dir, settings -> settings);
  }

  /** Like {@link #start(Path)}, with the proxy's settings adjusted by {@code customize} (TLS, allowlist). */
  static InProcessNodeProxy start(Path dir, java.util.function.UnaryOperator<NodeProxySettings> customize)
      throws Exception {
    SandboxCluster sandbox = SandboxCluster.start(SandboxSpec.builder("edge-1").build());
    FaultyLink link = new FaultyLink(sandbox.port());
    Config config = new ConfigBuilder(Config.empty()).withMasterUrl("http://127.0.0.1:" + link.port())
        .withOauthToken(SandboxCluster.TOKEN).withHttp2Disable(true).withRequestRetryBackoffLimit(0).build();
    KubernetesClient upstream = new KubernetesClientBuilder().withConfig(config)
        .withHttpClientFactory(new JdkHttpClientFactory()).build();
    ObjectCache cache = DurableObjectCache.open(dir.resolve("objects.db"), CacheBudget.defaults());
    UpstreamHealth.Settings health = new UpstreamHealth.Settings(Duration.ofMillis(200), Duration.ofMillis(500), 3, 2);
    NodeProxy proxy = NodeProxy.start(URI.create(config.getMasterUrl()), upstream.getHttpClient(), cache,
        customize.apply(NodeProxySettings.defaults().withPort(0).withHealth(health)));
    return new InProcessNodeProxy(sandbox, link, upstream, cache, proxy);
  }

  /** A fabric8 client of the proxy identifying as {@code userAgent} (e.g. "kubelet/1.32"). */
  KubernetesClient client(String userAgent, String namespace) {
    Config config = new ConfigBuilder(Config.empty()).withMasterUrl("http://127.0.0.1:" + proxy.port())
        .withUserAgent(userAgent).withHttp2Disable(true).withOnlyHttpWatches(true).withRequestRetryBackoffLimit(0)
        .withWatchReconnectInterval(200).withNamespace(namespace).build();
    return new KubernetesClientBuilder().withConfig(config).withHttpClientFactory(new JdkHttpClientFactory()).build();
  }

  @Override
  public void close() throws Exception {
    proxy.close();
    cache.close();
    upstream.close();
    link.close();
    sandbox.close();
  }
}
