package io.outpost.agent.cli;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.utils.HttpClientUtils;
import io.outpost.agent.nodeproxy.ClientAllowlist;
import io.outpost.agent.nodeproxy.NoCache;
import io.outpost.agent.nodeproxy.NodeProxy;
import io.outpost.agent.nodeproxy.NodeProxySettings;
import io.outpost.agent.nodeproxy.NodeProxyTls;
import io.outpost.agent.nodeproxy.UpstreamHealth;
import io.outpost.cache.objects.CacheBudget;
import io.outpost.cache.objects.DurableObjectCache;
import io.outpost.cache.objects.ObjectCache;
import io.outpost.cache.store.StoreException;
import io.outpost.cache.store.StoreLockedException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code outpost agent node-proxy}: the node-local caching API proxy (YurtHub's role). Needs no
 * hub: it runs on every edge node whether or not an agent there also holds a tunnel. Every flag
 * can also be given in a {@code --config} file ({@link NodeProxyConfigFile}); flags win.
 */
@Command(name = "node-proxy", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Serves a Kubernetes API endpoint for node components (kubelet, kube-proxy, ...) on loopback.",
        "While the apiserver is healthy it forwards and records GET/LIST/WATCH answers per client in a MapDB",
        "cache in --data-dir; while it is not, it answers reads from that cache (selectors applied), holds",
        "watches open, and refuses writes with 503 except kubelet lease and node-status heartbeats.",
        "Metrics: GET /outpost/metrics on the listen address (Prometheus text format)."})
public final class NodeProxyCommand implements Callable<Integer> {

  private static final Logger log = LoggerFactory.getLogger(NodeProxyCommand.class);

  @Spec
  CommandSpec spec;

  @Option(names = "--config", paramLabel = "FILE",
      description = "Read flags from FILE: one 'flag-name: value' or 'flag-name=value' per line (flat YAML or"
          + " Java properties, e.g. 'listen: 127.0.0.1:10261'). Flags on the command line win.")
  Path config;

  @Option(names = "--kubeconfig", paramLabel = "PATH", defaultValue = "${env:OUTPOST_AGENT_KUBECONFIG}",
      description = "Kubeconfig of the upstream apiserver. Default: in-cluster, then $KUBECONFIG or ~/.kube/config.")
  Path kubeconfig;

  @Option(names = "--listen", paramLabel = "HOST:PORT",
      defaultValue = NodeProxySettings.DEFAULT_HOST + ":" + NodeProxySettings.DEFAULT_PORT,
      description = "Address to serve on (keep it on loopback). Default: ${DEFAULT-VALUE}.")
  String listen;

  @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "${env:OUTPOST_AGENT_DATA_DIR:-.outpost/agent}",
      description = "Where the cache file (objects.db) lives. Default: ${DEFAULT-VALUE}.")
  Path dataDir;

  @Option(names = "--tls-cert", paramLabel = "PEM",
      description = "Serve HTTPS with this certificate (needs --tls-key). Default: plain HTTP.")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "PEM", description = "Private key (PKCS#8 PEM) of --tls-cert.")
  Path tlsKey;

  @Option(names = "--client-ca", paramLabel = "PEM",
      description = "With HTTPS: verify client certificates against this CA; a client's identity is then its"
          + " certificate's CN (else its User-Agent program name).")
  Path clientCa;

  @Option(names = "--cache-clients", paramLabel = "ID[,ID...]", split = ",",
      description = "Cache only these client identities (e.g. kubelet,kube-proxy). Default: all clients.")
  List<String> cacheClients = new ArrayList<>();

  @Option(names = "--cache-max-bytes", paramLabel = "SIZE", defaultValue = "128Mi", converter = Sizes.class,
      description = "Cache budget on disk (suffixes Ki, Mi, Gi). Default: ${DEFAULT-VALUE}.")
  long cacheMaxBytes;

  @Option(names = "--cache-client-quota", paramLabel = "SIZE", defaultValue = "64Mi", converter = Sizes.class,
      description = "What one client may hold. Default: ${DEFAULT-VALUE}.")
  long cacheClientQuota;

  @Option(names = "--cache-memory", paramLabel = "SIZE", defaultValue = "4Mi", converter = MemorySizes.class,
      description = "JSON of recently read objects also kept in memory, so hot lists are answered without disk reads"
          + " (0 turns it off; suffixes Ki, Mi, Gi). Part of the heap: keep it well under -Xmx."
          + " Default: ${DEFAULT-VALUE} (the kubelet's pods on a busy node).")
  long cacheMemory;

  @Option(names = "--max-recorded-body", paramLabel = "SIZE", converter = Sizes.class,
      description = "GET/LIST answers larger than this are forwarded but not cached (suffixes Ki, Mi, Gi)."
          + " Default: 1/16 of the max heap, 1Mi..64Mi (about 8Mi with the launcher's -Xmx128m).")
  Long maxRecordedBody;

  @Option(names = "--probe-interval", paramLabel = "DURATION", defaultValue = "1s", converter = Durations.class,
      description = "Time between upstream /readyz probes (ms, s, m). Default: ${DEFAULT-VALUE}.")
  Duration probeInterval;

  @Option(names = "--probe-timeout", paramLabel = "DURATION", defaultValue = "1s", converter = Durations.class,
      description = "A probe slower than this fails. Default: ${DEFAULT-VALUE}.")
  Duration probeTimeout;

  @Option(names = "--failure-threshold", paramLabel = "N", defaultValue = "3",
      description = "Consecutive failures (probes or forwarded requests) that start an outage. Default: ${DEFAULT-VALUE}.")
  int failureThreshold;

  @Option(names = "--success-threshold", paramLabel = "N", defaultValue = "2",
      description = "Consecutive successful probes that end an outage. Default: ${DEFAULT-VALUE}.")
  int successThreshold;

  @Option(names = "--retry-after", paramLabel = "SECONDS", defaultValue = "5",
      description = "Retry-After of writes refused during an outage. Default: ${DEFAULT-VALUE}.")
  int retryAfter;

  /** Set on the copy that already merged the config file. */
  private boolean merged;

  @Override
  public Integer call() throws Exception {
    try {
      if (config != null && !merged) {
        return withConfigFile().call();
      }
      return serve(settings());
    } catch (IllegalArgumentException | CommandLine.ParameterException e) {
      System.err.println("error: " + e.getMessage());
      return 2;
    } catch (RuntimeException e) {
      // The innermost message is the one written for the operator (a locked cache, a bad kubeconfig).
      Throwable root = e;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      System.err.println("error: " + (e.getMessage() != null ? e.getMessage() : root.getMessage()));
      return 1;
    }
  }

  /** A fresh command parsed from the file's flags followed by those given on the command line. */
  private NodeProxyCommand withConfigFile() {
    Map<String, String> file = NodeProxyConfigFile.read(config, spec);
    List<String> args = new ArrayList<>();
    CommandLine.ParseResult given = spec.commandLine().getParseResult();
    file.forEach((name, value) -> {
      if (!given.hasMatchedOption("--" + name)) {
        args.add("--" + name + "=" + value);
      }
    });
    for (CommandLine.Model.OptionSpec option : given.matchedOptions()) {
      for (String value : option.originalStringValues()) {
        args.add(option.longestName() + "=" + value);
      }
    }
    NodeProxyCommand fresh = new NodeProxyCommand();
    new CommandLine(fresh).parseArgs(args.toArray(String[]::new));
    fresh.merged = true;
    return fresh;
  }

  NodeProxySettings settings() {
    int colon = listen.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("--listen \"" + listen + "\" is not HOST:PORT (e.g. 127.0.0.1:10261)");
    }
    int port;
    try {
      port = Integer.parseInt(listen.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--listen \"" + listen + "\": the port is not a number");
    }
    NodeProxySettings settings = NodeProxySettings.defaults()
        .withListen(listen.substring(0, colon), port)
        .withHealth(new UpstreamHealth.Settings(probeInterval, probeTimeout, failureThreshold, successThreshold))
        .withRetryAfterSeconds(retryAfter)
        .withAllowlist(ClientAllowlist.of(cacheClients));
    if (maxRecordedBody != null) {
      if (maxRecordedBody > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("--max-recorded-body " + maxRecordedBody + " bytes: expected at most "
            + Integer.MAX_VALUE + " (2Gi - 1)");
      }
      settings = settings.withMaxRecordedBodyBytes(maxRecordedBody.intValue());
    }
    if (tlsCert != null || tlsKey != null) {
      if (tlsCert == null || tlsKey == null) {
        throw new IllegalArgumentException("--tls-cert and --tls-key go together (got only "
            + (tlsCert != null ? "--tls-cert" : "--tls-key") + ")");
      }
      settings = settings.withTls(new NodeProxyTls(tlsCert, tlsKey, Optional.ofNullable(clientCa)));
    } else if (clientCa != null) {
      throw new IllegalArgumentException("--client-ca needs HTTPS: give --tls-cert and --tls-key too");
    }
    return settings;
  }

  CacheBudget budget() {
    return new CacheBudget(cacheMaxBytes, cacheClientQuota, Map.of(), cacheMemory);
  }

  private int serve(NodeProxySettings settings) throws InterruptedException {
    Config upstream = kubeconfig != null ? LeanKubeconfig.load(kubeconfig) : Config.autoConfigure(null);
    // A proxy must not retry on its own; its clients do.
    upstream.setRequestRetryBackoffLimit(0);
    // Only fabric8's HTTP client (with the kubeconfig's credentials and token refresh), not a
    // KubernetesClient: building one loads ~300 classes of DSL and handlers the proxy never uses
    // (1.2 MiB of class metadata in every node's resident set; BENCHMARKS.md §4).
    try (HttpClient http = HttpClientUtils.createHttpClient(upstream);
         ObjectCache cache = openCache(dataDir.resolve("objects.db"), budget())) {
      NodeProxy proxy = NodeProxy.start(URI.create(upstream.getMasterUrl()), http, cache, settings);
      // SIGTERM: commit what is queued, then close the cache file; the JVM does not wait for main.
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        proxy.close();
        cache.close();
      }, "node-proxy-shutdown"));
      System.out.println("node-proxy: " + settings.scheme() + "://" + settings.host() + ":" + proxy.port() + " -> "
          + upstream.getMasterUrl());
      System.out.flush();
      proxy.awaitClose();
      proxy.close();
    }
    return 0;
  }

  /**
   * The cache, or, when its file cannot be written, {@link NoCache}: the proxy then fails open
   * (forwards, answers 503 offline) rather than leaving the node without an API endpoint. A cache
   * locked by another process is fatal: two proxies on one node is a mistake to fix.
   */
  static ObjectCache openCache(Path file, CacheBudget budget) {
    try {
      return DurableObjectCache.open(file, budget);
    } catch (StoreLockedException e) {
      throw e;
    } catch (UncheckedIOException | StoreException e) {
      String why = e.getMessage();
      log.error("Node proxy cache {} cannot be opened: {}. Running WITHOUT a cache: requests are forwarded, but"
          + " during an outage reads get 503. Fix the data dir (--data-dir) and restart.", file, why);
      return new NoCache(why);
    }
  }

  /** Byte sizes: {@code 1048576}, {@code 512Ki}, {@code 128Mi}, {@code 1Gi}. */
  static final class Sizes implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      String v = value.strip();
      long unit = 1;
      for (String[] suffix : new String[][] {{"Ki", "1024"}, {"Mi", "1048576"}, {"Gi", "1073741824"}}) {
        if (v.endsWith(suffix[0])) {
          unit = Long.parseLong(suffix[1]);
          v = v.substring(0, v.length() - 2);
        }
      }
      try {
        long bytes = Long.parseLong(v) * unit;
        if (bytes <= 0) {
          throw new CommandLine.TypeConversionException("size \"" + value + "\" must be positive");
        }
        return bytes;
      } catch (NumberFormatException e) {
        throw new CommandLine.TypeConversionException("size \"" + value + "\" is not a number of bytes"
            + " (expected e.g. 134217728, 512Ki, 128Mi, 1Gi)");
      }
    }
  }

  /** Byte sizes as {@link Sizes}, and {@code 0}. */
  static final class MemorySizes implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      return value.strip().equals("0") ? 0L : new Sizes().convert(value);
    }
  }

  /** Durations: {@code 500ms}, {@code 1s}, {@code 2m}. */
  static final class Durations implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      String v = value.strip();
      try {
        if (v.endsWith("ms")) {
          return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
        } else if (v.endsWith("s")) {
          return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
        } else if (v.endsWith("m")) {
          return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
        }
      } catch (NumberFormatException e) {
        // fall through to the message below
      }
      throw new CommandLine.TypeConversionException("duration \"" + value + "\" is not valid"
          + " (expected e.g. 500ms, 1s, 2m)");
    }
  }
}
