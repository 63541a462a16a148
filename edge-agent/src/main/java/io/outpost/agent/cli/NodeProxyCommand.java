package io.outpost.agent.cli;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.outpost.agent.nodeproxy.NodeProxy;
import io.outpost.agent.nodeproxy.NodeProxySettings;
import io.outpost.cache.objects.CacheBudget;
import io.outpost.cache.objects.DurableObjectCache;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code outpost agent node-proxy}: the node-local caching API proxy (YurtHub's role). Needs no
 * hub: it runs on every edge node whether or not an agent there also holds a tunnel.
 */
@Command(name = "node-proxy", mixinStandardHelpOptions = true,
    description = {
        "Serves a Kubernetes API endpoint for node components (kubelet, kube-proxy, ...) on loopback.",
        "While the apiserver is healthy it forwards and records GET/LIST/WATCH answers per client in a MapDB",
        "cache in --data-dir; while it is not, it answers reads from that cache (selectors applied), holds",
        "watches open, and refuses writes with 503 except kubelet lease and node-status heartbeats."})
public final class NodeProxyCommand implements Callable<Integer> {

  @Option(names = "--kubeconfig", paramLabel = "PATH", defaultValue = "${env:OUTPOST_AGENT_KUBECONFIG}",
      description = "Kubeconfig of the upstream apiserver. Default: in-cluster, then $KUBECONFIG or ~/.kube/config.")
  Path kubeconfig;

  @Option(names = "--listen", paramLabel = "HOST:PORT",
      defaultValue = NodeProxySettings.DEFAULT_HOST + ":" + NodeProxySettings.DEFAULT_PORT,
      description = "Loopback address to serve on (plain HTTP). Default: ${DEFAULT-VALUE}.")
  String listen;

  @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "${env:OUTPOST_AGENT_DATA_DIR:-.outpost/agent}",
      description = "Where the cache file (objects.db) lives. Default: ${DEFAULT-VALUE}.")
  Path dataDir;

  @Override
  public Integer call() throws Exception {
    int colon = listen.lastIndexOf(':');
    if (colon <= 0) {
      System.err.println("error: --listen \"" + listen + "\" is not HOST:PORT (e.g. 127.0.0.1:10261)");
      return 2;
    }
    NodeProxySettings settings = new NodeProxySettings(listen.substring(0, colon),
        Integer.parseInt(listen.substring(colon + 1)), NodeProxySettings.defaults().health(),
        NodeProxySettings.DEFAULT_RETRY_AFTER_SECONDS, NodeProxySettings.DEFAULT_MAX_RECORDED_BODY_BYTES);
    try {
      return serve(settings);
    } catch (RuntimeException e) {
      // The innermost message is the one written for the operator (a bad data dir, a locked cache).
      Throwable root = e;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      System.err.println("error: " + (e.getMessage() != null ? e.getMessage() : root.getMessage()));
      return 1;
    }
  }

  private int serve(NodeProxySettings settings) throws InterruptedException {
    Config config = kubeconfig != null ? Config.fromKubeconfig(kubeconfig.toFile()) : Config.autoConfigure(null);
    // A proxy must not retry on its own; its clients do.
    config.setRequestRetryBackoffLimit(0);
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
         DurableObjectCache cache = DurableObjectCache.open(dataDir.resolve("objects.db"), CacheBudget.defaults())) {
      NodeProxy proxy = NodeProxy.start(URI.create(client.getConfiguration().getMasterUrl()), client.getHttpClient(),
          cache, settings);
      Runtime.getRuntime().addShutdownHook(new Thread(proxy::close, "node-proxy-shutdown"));
      System.out.println("node-proxy: http://" + settings.host() + ":" + proxy.port() + " -> "
          + client.getConfiguration().getMasterUrl());
      System.out.flush();
      proxy.awaitClose();
    }
    return 0;
  }
}
