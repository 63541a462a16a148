package io.outpost.bench;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.outpost.cache.objects.CacheBudget;
import io.outpost.cache.objects.DurableObjectCache;
import io.outpost.cache.objects.ObjectCache;
import io.outpost.sandbox.SandboxCluster;
import io.outpost.sandbox.SandboxSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * The node proxy's numbers, each JVM-flag profile in the same run: LIST of the node's 1,000 pods
 * answered from the cache ({@code fieldSelector=spec.nodeName=...}, applied by the cache) versus
 * forwarded to the sandbox (and sent straight to the sandbox; by namespace, see
 * {@link #NAMESPACE_PODS}), GET of one pod from the cache, cold start to the first answer
 * (online, forwarded; and offline, from the cache file), heap and RSS of the proxy process with
 * 10,000 cached objects, and durable cache writes per second (one commit per write versus group
 * commit).
 *
 * <p>The proxy is a child JVM ({@code outpost agent node-proxy}), so its RSS is its own. "Offline"
 * is the proxy restarted with a kubeconfig pointing at a closed port: every read comes from the
 * cache file the online run filled. Latencies are closed-loop, one client; the forwarded and direct
 * paths alternate by round so noise hits both.
 *
 * <pre>
 * java -cp "tests/target/classes:$(cat tests/target/classpath.txt)" io.outpost.bench.NodeProxyBenchmark \
 *     [pods=1000] [objects=10000] [n=2000] [rounds=3] [profiles=default,tuned] [nmt=false] [classpath=tests] \
 *     [breakdown=false] [keep=false] [classlist=PATH]
 * </pre>
 *
 * <p>Profiles: see {@link #PROFILES}; {@code slim} is the launchers' default. {@code nmt=true} adds
 * native memory tracking and reports its committed categories (a separate run: NMT costs a few MiB).
 * {@code classpath=proxy} runs the proxy with the class path the launchers give it (the edge-agent
 * JAR and the JARs the proxy loads classes from), {@code classpath=agent} with the edge-agent's whole
 * class path (the launchers' until the fifth session), the default with this harness's (every
 * module's JARs; what earlier rounds measured). {@code breakdown=true}
 * adds the proxy's largest resident mappings and largest classes on the heap, online and offline; {@code keep=true}
 * keeps the work directory (logs, cache files, class-data archives); {@code classlist=PATH} writes the
 * classes the first profile's proxy loads online and offline as a class list (how
 * {@code deploy/dist/node-proxy.classlist} is made; that run maps no archive).
 */
public final class NodeProxyBenchmark {

  private static final String NODE = "bench-node";
  private static final String NAMESPACE = "bench";
  private static final String NODE_PODS = "/api/v1/pods?fieldSelector=spec.nodeName%3D" + NODE;
  /**
   * The same 1,000 pods by namespace: the sandbox (fabric8's mock server) does not evaluate
   * {@code spec.nodeName} field selectors, so forwarded and direct LISTs ask for the namespace that
   * holds exactly the node's pods (same items, same bytes); the cache applies the field selector.
   */
  private static final String NAMESPACE_PODS = "/api/v1/namespaces/" + NAMESPACE + "/pods";
  private static final String ONE_POD = "/api/v1/namespaces/" + NAMESPACE + "/pods/pod-0";
  private static final String CONFIG_MAPS = "/api/v1/namespaces/" + NAMESPACE + "/configmaps";

  /**
   * The launchers' previous default (BENCHMARKS.md §4, "where the memory goes"): small heap that
   * starts small and is given back, serial GC, C1 only.
   */
  static final String LEAN_FLAGS = "-Xmx128m -Xms32m -Xmn24m -XX:SurvivorRatio=4 -XX:MinHeapFreeRatio=10"
      + " -XX:MaxHeapFreeRatio=20 -XX:-ShrinkHeapInSteps -Xss512k -XX:+UseSerialGC -XX:TieredStopAtLevel=1"
      + " -XX:ReservedCodeCacheSize=16m -XX:MaxMetaspaceSize=96m -XX:+ExitOnOutOfMemoryError";

  /**
   * The launchers' default JVM options for the node proxy, read from the file both launchers read
   * ({@code deploy/dist/node-proxy.jvm-options}; run the benchmark from the repository root);
   * BENCHMARKS.md §4 (fourth session) says what each saves.
   */
  static String slimFlags() {
    Path options = Path.of("deploy", "dist", "node-proxy.jvm-options");
    try {
      return Files.readAllLines(options).stream().filter(line -> !line.startsWith("#") && !line.isBlank())
          .collect(java.util.stream.Collectors.joining(" ")).strip();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + options.toAbsolutePath()
          + " (run the benchmark from the repository root)", e);
    }
  }

  /**
   * The system properties both launchers always add for the node proxy: logback configured in code
   * instead of its XML configurator, Netty without its flight-recorder events.
   */
  static final String LAUNCHER_PROPERTIES = "-Doutpost.logging=code -Dio.netty.jfr.enabled=false";

  /** What both launchers put into the node proxy's environment (unless already set). */
  static final Map<String, String> LAUNCHER_ENVIRONMENT = Map.of("MALLOC_ARENA_MAX", "2");

  /**
   * JVM flags and environment of one profile; with {@code classDataArchive} a CDS archive is trained
   * for it first (JDK 17 has no {@code -XX:+AutoCreateSharedArchive}).
   */
  private record Profile(List<String> flags, Map<String, String> env, boolean classDataArchive) {
    Profile(List<String> flags) {
      this(flags, Map.of(), true);
    }

    /** This profile with the flag that starts with {@code flagPrefix} set to {@code value}. */
    Profile with(String flagPrefix, String value) {
      return new Profile(flags.stream().map(f -> f.startsWith(flagPrefix) ? flagPrefix + value : f).toList(), env,
          classDataArchive);
    }

    Profile plus(String flag) {
      List<String> more = new ArrayList<>(flags);
      more.add(flag);
      return new Profile(more, env, classDataArchive);
    }

    Profile without(String flagPrefix) {
      return new Profile(flags.stream().filter(f -> !f.startsWith(flagPrefix)).toList(), env, classDataArchive);
    }

    String describe() {
      return env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue() + " ").reduce("", String::concat)
          + String.join(" ", flags);
    }
  }

  private static final Profile LEAN = new Profile(List.of(LEAN_FLAGS.split(" ")), Map.of(), true);
  private static final Profile SLIM = new Profile(List.of((slimFlags() + " " + LAUNCHER_PROPERTIES).split(" ")),
      LAUNCHER_ENVIRONMENT, true);

  private static final Map<String, Profile> PROFILES = Map.ofEntries(
      Map.entry("default", new Profile(List.of(), Map.of(), false)),
      Map.entry("tuned", tuned("256m")),
      // The same with a smaller heap, to find the smallest that records a 5 MB LIST without running out.
      Map.entry("tuned192", tuned("192m")),
      Map.entry("tuned128", tuned("128m")),
      // C2 as well as C1: slower to warm up, faster once warm.
      Map.entry("tuned192c2", tuned("192m").without("-XX:TieredStopAtLevel")),
      Map.entry("lean", LEAN),
      // What the class-data archive and glibc's arena limit each do to the resident set.
      Map.entry("lean-nocds", new Profile(LEAN.flags(), LEAN.env(), false)),
      Map.entry("lean-arenas2", new Profile(LEAN.flags(), Map.of("MALLOC_ARENA_MAX", "2"), true)),
      // The young generation's size and the old generation's free share trade resident set against
      // collections per cached LIST.
      Map.entry("lean-young16", LEAN.with("-Xmn", "16m").with("-XX:SurvivorRatio=", "2")),
      Map.entry("lean-young32", LEAN.with("-Xmn", "32m")),
      // A larger initial heap: fewer collections while a cold start rebuilds the cache index.
      Map.entry("lean-xms48", LEAN.with("-Xms", "48m")),
      Map.entry("lean-free40", LEAN.with("-XX:MinHeapFreeRatio=", "20").with("-XX:MaxHeapFreeRatio=", "40")),
      Map.entry("lean-steps", LEAN.without("-XX:-ShrinkHeapInSteps")),
      Map.entry("slim", SLIM),
      Map.entry("slim-nocds", new Profile(SLIM.flags(), SLIM.env(), false)),
      // The compile threshold of the fourth session (slim now compiles only methods called 4x as
      // often as by default: less code cache, more interpreting).
      Map.entry("slim-morecode", SLIM.without("-XX:CompileThresholdScaling")),
      // The young generation against the resident set and the collections per cached read: lean's
      // 24 MiB, the 16 MiB first chosen while cached reads still parsed and copied JSON (smaller
      // survivor spaces then promoted answers in flight and caused full collections), the 12 MiB of
      // the fourth session, the 8 MiB of the fifth session's first commits, and variants of today's 6 MiB.
      Map.entry("slim-young24", SLIM.with("-Xmn", "24m")),
      Map.entry("slim-young16s3", SLIM.with("-Xmn", "16m").with("-XX:SurvivorRatio=", "3")),
      Map.entry("slim-young16s4", SLIM.with("-Xmn", "16m")),
      Map.entry("slim-young12", SLIM.with("-Xmn", "12m")),
      Map.entry("slim-young12s2", SLIM.with("-Xmn", "12m").with("-XX:SurvivorRatio=", "2")),
      Map.entry("slim-young6f40", SLIM.with("-XX:MinHeapFreeRatio=", "20").with("-XX:MaxHeapFreeRatio=", "40")),
      Map.entry("slim-young6s2", SLIM.with("-XX:SurvivorRatio=", "2")),
      Map.entry("slim-young8", SLIM.with("-Xmn", "8m")),
      Map.entry("slim-young4", SLIM.with("-Xmn", "4m")),
      Map.entry("slim-xms16", SLIM.with("-Xms", "16m")),
      Map.entry("slim-xmx96", SLIM.with("-Xmx", "96m")),
      // Netty's unpooled buffers instead of its pool, which keeps its chunks.
      Map.entry("slim-unpooled", SLIM.plus("-Dio.netty.allocator.type=unpooled")),
      // glibc's malloc with its default arenas (up to eight per core) instead of the launchers' two.
      Map.entry("slim-arenas", new Profile(SLIM.flags(), Map.of(), true)));

  private static Profile tuned(String heap) {
    return new Profile(List.of("-Xmx" + heap, "-Xss512k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-XX:ReservedCodeCacheSize=32m", "-XX:MaxMetaspaceSize=96m", "-XX:+ExitOnOutOfMemoryError"));
  }

  private record Row(String profile, String what, String value) {}

  public static void main(String[] argv) {
    Bench.runAndExit(() -> run(argv));
  }

  private static void run(String[] argv) throws Exception {
    Bench.quietLogs();
    Map<String, String> args = Bench.args(argv, "pods", "objects", "n", "rounds", "profiles", "nmt", "classpath",
        "breakdown", "keep", "classlist");
    int pods = Bench.intArg(args, "pods", 1000);
    int objects = Bench.intArg(args, "objects", 10_000);
    int n = Bench.intArg(args, "n", 2000);
    int rounds = Bench.intArg(args, "rounds", 3);
    List<String> profiles = List.of(args.getOrDefault("profiles", "default,tuned").split(","));
    // Native memory tracking costs a few MiB of its own: a separate run for the breakdown.
    boolean nmt = Boolean.parseBoolean(args.getOrDefault("nmt", "false"));
    // Where the offline resident set goes: the largest mappings and the largest classes on the heap.
    boolean breakdown = Boolean.parseBoolean(args.getOrDefault("breakdown", "false"));
    // Keeps the proxies' logs, cache files and class-data archives for a look afterwards.
    boolean keep = Boolean.parseBoolean(args.getOrDefault("keep", "false"));
    // Writes the classes the first profile's proxy loaded, online and offline, as a class list for
    // the launchers' class-data archive (deploy/dist/node-proxy.classlist); that run maps no archive.
    Path classList = args.containsKey("classlist") ? Path.of(args.get("classlist")) : null;
    // "tests" (every module's JARs) is what earlier rounds measured; "agent" is the edge-agent's whole
    // class path, what the launchers ran until the fifth session; "proxy" is what they run now.
    String classPath = switch (args.getOrDefault("classpath", "tests")) {
      case "tests" -> NodeProxyChild.testsJars();
      case "agent" -> NodeProxyChild.agentJars();
      case "proxy" -> NodeProxyChild.proxyJars();
      default -> throw new IllegalArgumentException("classpath=" + args.get("classpath")
          + ": expected tests, agent or proxy");
    };
    System.out.println("machine: " + Bench.machine() + "; load average before: " + Bench.loadAverage());
    Path work = Bench.tempDir("node-proxy-bench-");
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    List<Row> rows = new ArrayList<>();
    try (SandboxCluster sandbox = SandboxCluster.start(SandboxSpec.builder("bench").build())) {
      seed(sandbox.client(), pods, objects - pods);
      Path online = sandbox.writeKubeconfig(work.resolve("online.kubeconfig"), "bench");
      Path offline = Files.writeString(work.resolve("offline.kubeconfig"),
          sandbox.kubeconfig("bench").replace(sandbox.url(), "http://127.0.0.1:1"));
      for (String profile : profiles) {
        Profile chosen = PROFILES.get(profile);
        if (chosen == null) {
          throw new IllegalArgumentException("profile \"" + profile + "\": expected one of " + PROFILES.keySet());
        }
        List<String> flags = new ArrayList<>(chosen.flags());
        if (nmt) {
          flags.add("-XX:NativeMemoryTracking=summary");
        }
        Path listing = classList != null && profile.equals(profiles.get(0)) ? work.resolve(profile + "-lists") : null;
        if (chosen.classDataArchive() && listing == null) {
          flags.add("-XX:SharedArchiveFile=" + trainClassDataArchive(profile, flags, chosen.env(), classPath, online,
              work, http));
        }
        rows.addAll(profileRun(profile, flags, chosen.env(), classPath, sandbox, online, offline,
            work.resolve(profile), http, n, rounds, nmt, breakdown, listing));
        if (listing != null) {
          writeClassList(listing, classList);
        }
      }
    } finally {
      if (keep) {
        System.out.println("kept: " + work);
      } else {
        Bench.deleteRecursively(work);
      }
    }
    rows.addAll(durableWrites());
    List<List<String>> table = rows.stream().map(r -> List.of(r.profile(), r.what(), r.value())).toList();
    System.out.println();
    for (String profile : profiles) {
      System.out.println(profile + ": " + PROFILES.get(profile).describe()
          + (PROFILES.get(profile).classDataArchive() ? " -XX:SharedArchiveFile=" + profile + ".jsa" : ""));
    }
    System.out.println(Bench.table(List.of("profile", "measure", "value"), table));
    System.out.println("load average after: " + Bench.loadAverage());
  }

  /** {@code pods} pods on {@value #NODE} and {@code configMaps} ConfigMaps, written by 8 threads. */
  private static void seed(KubernetesClient admin, int pods, int configMaps) throws Exception {
    admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
        .create();
    ExecutorService writers = Executors.newFixedThreadPool(8);
    List<Future<?>> writes = new ArrayList<>();
    IntStream.range(0, pods).forEach(i -> writes.add(writers.submit(() -> admin.pods().inNamespace(NAMESPACE)
        .resource(new PodBuilder().withNewMetadata().withName("pod-" + i).withNamespace(NAMESPACE)
            .addToLabels("app", "app-" + (i % 20)).endMetadata()
            .withNewSpec().withNodeName(NODE).addNewContainer().withName("main").withImage("nginx:1.27")
            .addNewPort().withContainerPort(8080).endPort().endContainer().endSpec()
            .withNewStatus().withPhase("Running").withPodIP("10.244.0." + (i % 250)).endStatus().build())
        .create())));
    IntStream.range(0, configMaps).forEach(i -> writes.add(writers.submit(() -> admin.configMaps()
        .inNamespace(NAMESPACE).resource(new ConfigMapBuilder().withNewMetadata().withName("cm-" + i).endMetadata()
            .addToData("settings", "x".repeat(400)).build()).create())));
    writers.shutdown();
    for (Future<?> write : writes) {
      write.get();
    }
  }

  /** The class list the launchers make the node proxy's class-data archive from (shipped in lib/). */
  static final Path CLASS_LIST = Path.of("deploy", "dist", "node-proxy.classlist");

  /**
   * The profile's class-data archive, made as the distribution's launcher makes it: a static dump
   * of {@link #CLASS_LIST}; without that file, one proxy run with {@code -XX:ArchiveClassesAtExit}
   * (the classes a cold start and a LIST load), as the launcher did before.
   */
  private static Path trainClassDataArchive(String profile, List<String> flags, Map<String, String> env,
                                            String classPath, Path kubeconfig, Path work, HttpClient http)
      throws Exception {
    Path archive = work.resolve(profile + ".jsa");
    if (Files.exists(CLASS_LIST)) {
      List<String> dump = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
      dump.addAll(flags);
      dump.addAll(List.of("-Xshare:dump", "-XX:SharedClassListFile=" + CLASS_LIST,
          "-XX:SharedArchiveFile=" + archive, "-cp", classPath));
      Process process = new ProcessBuilder(dump).redirectErrorStream(true)
          .redirectOutput(work.resolve(profile + "-dump.log").toFile()).start();
      if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0 || !Files.exists(archive)) {
        throw new IllegalStateException("the class-data dump failed: " + Files.readString(
            work.resolve(profile + "-dump.log")));
      }
      return archive;
    }
    List<String> training = new ArrayList<>(flags);
    training.add("-XX:ArchiveClassesAtExit=" + archive);
    try (NodeProxyChild proxy = NodeProxyChild.launch(training, env, classPath, kubeconfig, Files.createDirectories(
        work.resolve(profile + "-training")), work.resolve(profile + "-training.log"), http)) {
      proxy.awaitFirstAnswer(NAMESPACE_PODS);
      proxy.get(ONE_POD);
      proxy.get("/outpost/metrics");
    }
    if (!Files.exists(archive)) {
      throw new IllegalStateException("the JVM wrote no class-data archive at " + archive);
    }
    return archive;
  }

  private static List<Row> profileRun(String profile, List<String> flags, Map<String, String> env, String classPath,
                                      SandboxCluster sandbox, Path online, Path offline, Path dir, HttpClient http,
                                      int n, int rounds, boolean nmt, boolean breakdown, Path listing)
      throws Exception {
    Files.createDirectories(dir);
    Map<String, String> out = new LinkedHashMap<>();
    Path data = dir.resolve("data");
    try (NodeProxyChild proxy = NodeProxyChild.launch(listed(flags, listing, "online"), env, classPath, online, data,
        dir.resolve("online.log"),
        http)) {
      out.put("cold start to first LIST (online, forwarded)",
          Bench.ms(proxy.awaitFirstAnswer(NAMESPACE_PODS).toNanos() / 1e6) + " ms");
      out.put("pods in the forwarded LIST answer", Integer.toString(items(proxy.get(NAMESPACE_PODS))));
      check(proxy.get(CONFIG_MAPS));
      check(proxy.get(ONE_POD));
      check(proxy.get("/api/v1/pods"));
      awaitCommitted(proxy);
      Stats forwarded = new Stats(n * rounds);
      Stats direct = new Stats(n * rounds);
      URI sandboxList = URI.create(sandbox.url() + NAMESPACE_PODS);
      for (int round = 0; round < rounds; round++) {
        Runnable viaProxy = () -> measure(forwarded, n, () -> check(proxy.get(NAMESPACE_PODS)));
        Runnable straight = () -> measure(direct, n, () -> check(http.send(HttpRequest.newBuilder(sandboxList)
            .header("Authorization", "Bearer " + SandboxCluster.TOKEN).GET().build(),
            HttpResponse.BodyHandlers.ofByteArray())));
        (round % 2 == 0 ? viaProxy : straight).run();
        (round % 2 == 0 ? straight : viaProxy).run();
      }
      out.put("LIST the node's pods, forwarded via proxy: p50 / p99", p50p99(forwarded));
      out.put("LIST the node's pods, sandbox direct: p50 / p99", p50p99(direct));
      out.put("cached objects", Long.toString((long) proxy.metric("outpost_node_proxy_cache_entries{client=\"kubelet\"}")));
      out.put("cache writes committed / failed (online)", (long) proxy.metric("outpost_node_proxy_cache_writes_total")
          + " / " + (long) proxy.metric("outpost_node_proxy_cache_write_failures_total"));
      out.put("classes loaded (online)", Long.toString(proxy.loadedClasses()));
      proxy.fullGc();
      out.put("heap after full GC / RSS (online, 10k cached)", memory(proxy));
      out.put("resident (online)", proxy.residentSplit());
      if (nmt) {
        out.put("NMT committed (online)", nativeMemory(proxy));
      }
      if (breakdown) {
        out.put("largest resident mappings, MiB (online)", proxy.residentMappings(12));
        out.put("largest classes on the heap, KiB (online)", proxy.heapHistogram(15));
      }
    }
    try (NodeProxyChild proxy = NodeProxyChild.launch(listed(flags, listing, "offline"), env, classPath, offline, data,
        dir.resolve("offline.log"),
        http)) {
      out.put("cold start to first LIST (offline, from cache file)",
          Bench.ms(proxy.awaitFirstAnswer(NODE_PODS).toNanos() / 1e6) + " ms");
      out.put("pods in the cached spec.nodeName LIST answer", Integer.toString(items(proxy.get(NODE_PODS))));
      Stats list = new Stats(n * rounds);
      Stats get = new Stats(n * rounds * 5);
      measure(list, n, () -> check(proxy.get(NODE_PODS))); // warm-up, discarded
      measure(get, n * 5, () -> check(proxy.get(ONE_POD))); // warm-up of the GET path too, discarded
      list = new Stats(n * rounds);
      get = new Stats(n * rounds * 5);
      long[] collectionsBefore = proxy.collections();
      for (int round = 0; round < rounds; round++) {
        measure(list, n, () -> check(proxy.get(NODE_PODS)));
        measure(get, n * 5, () -> check(proxy.get(ONE_POD)));
      }
      out.put("LIST the node's pods by spec.nodeName, from cache: p50 / p99", p50p99(list));
      out.put("GET one pod, from cache: p50 / p99", p50p99(get));
      long[] collectionsAfter = proxy.collections();
      out.put("young / full collections during the cached reads", (collectionsAfter[0] - collectionsBefore[0]) + " / "
          + (collectionsAfter[1] - collectionsBefore[1]));
      // The same rounds with the LISTs and GETs sent by a client without thread hand-offs, as a
      // kubelet's client-go sends them: how much of the tail is the JDK HttpClient's own.
      Stats blocking = new Stats(n * rounds * 5);
      Stats blockingList = new Stats(n * rounds);
      measure(blocking, n * 5, () -> proxy.getBlocking(ONE_POD)); // warm-up, discarded
      measure(blockingList, n, () -> proxy.getBlocking(NODE_PODS)); // warm-up, discarded
      blocking = new Stats(n * rounds * 5);
      blockingList = new Stats(n * rounds);
      for (int round = 0; round < rounds; round++) {
        measure(blockingList, n, () -> proxy.getBlocking(NODE_PODS));
        measure(blocking, n * 5, () -> proxy.getBlocking(ONE_POD));
      }
      out.put("LIST the node's pods by spec.nodeName, from cache, blocking client: p50 / p99", p50p99(blockingList));
      out.put("GET one pod, from cache, blocking client (HttpURLConnection): p50 / p99", p50p99(blocking));
      out.put("RSS after serving from cache (10k cached)", Bench.fmt("%.1f MiB", proxy.rssMiB()));
      out.put("classes loaded (offline)", Long.toString(proxy.loadedClasses()));
      proxy.fullGc();
      out.put("heap after full GC / RSS (offline)", memory(proxy));
      out.put("resident (offline)", proxy.residentSplit());
      if (nmt) {
        out.put("NMT committed (offline)", nativeMemory(proxy));
      }
      if (breakdown) {
        out.put("largest resident mappings, MiB (offline)", proxy.residentMappings(12));
        out.put("largest classes on the heap, KiB (offline)", proxy.heapHistogram(15));
      }
    }
    List<Row> rows = new ArrayList<>();
    out.forEach((what, value) -> rows.add(new Row(profile, what, value)));
    return rows;
  }

  /** {@code flags}, plus a class list of this phase's loaded classes in {@code listing} if given. */
  private static List<String> listed(List<String> flags, Path listing, String phase) throws IOException {
    if (listing == null) {
      return flags;
    }
    List<String> more = new ArrayList<>(flags);
    more.add("-XX:DumpLoadedClassList=" + Files.createDirectories(listing).resolve(phase + ".classlist"));
    return more;
  }

  /** The online and offline class lists in {@code listing} as one, first seen first, into {@code out}. */
  private static void writeClassList(Path listing, Path out) throws IOException {
    java.util.Set<String> lines = new java.util.LinkedHashSet<>();
    for (String phase : List.of("online", "offline")) {
      lines.addAll(Files.readAllLines(listing.resolve(phase + ".classlist")));
    }
    Files.write(out, lines);
    System.out.println("class list: " + out + " (" + lines.size() + " lines)");
  }

  private static void awaitCommitted(NodeProxyChild proxy) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (proxy.metric("outpost_node_proxy_cache_writes_queued") != 0
        || proxy.metric("outpost_node_proxy_cache_writes_total") < 5) { // the five answers recorded above
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("cache writes not committed within 60 s:\n" + proxy.output());
      }
      Thread.sleep(20); // polling a child process's counter
    }
  }

  private static String memory(NodeProxyChild proxy) throws Exception {
    return Bench.fmt("%.1f MiB / %.1f MiB", proxy.metric("outpost_node_proxy_jvm_heap_used_bytes") / (1 << 20),
        proxy.rssMiB());
  }

  /** NMT categories of at least 1 MiB committed, largest first. */
  private static String nativeMemory(NodeProxyChild proxy) throws Exception {
    return proxy.nativeMemoryMiB().entrySet().stream().filter(e -> e.getValue() >= 1)
        .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
        .map(e -> Bench.fmt("%s %.1f", e.getKey(), e.getValue())).reduce((a, b) -> a + ", " + b).orElse("(none)");
  }

  private static String p50p99(Stats stats) {
    Stats.Summary s = stats.summary();
    return Bench.ms(s.p50()) + " / " + Bench.ms(s.p99()) + " ms (n=" + s.n()
        + (stats.failures() > 0 ? ", " + stats.failures() + " failed: " + stats.firstFailure() : "") + ")";
  }

  private static int items(HttpResponse<byte[]> response) throws java.io.IOException {
    check(response);
    return new com.fasterxml.jackson.databind.ObjectMapper().readTree(response.body()).path("items").size();
  }

  private static void check(HttpResponse<byte[]> response) {
    if (response.statusCode() != 200) {
      throw new IllegalStateException(response.statusCode() + ": "
          + new String(response.body(), StandardCharsets.UTF_8));
    }
  }

  private static void measure(Stats into, int requests, Bench.Op op) {
    try {
      Bench.closedLoop(1, requests, into, op);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Durable writes per second into a real cache file: one commit per write versus group commit. */
  private static List<Row> durableWrites() throws Exception {
    List<Row> rows = new ArrayList<>();
    Path dir = Bench.tempDir("node-proxy-writes-");
    try (ObjectCache cache = DurableObjectCache.open(dir.resolve("objects.db"), CacheBudget.defaults())) {
      int single = 2000;
      long start = System.nanoTime();
      for (int i = 0; i < single; i++) {
        cache.recordObject("kubelet", "/v1/configmaps", configMap(i));
      }
      rows.add(new Row("in-process", "durable cache writes, one commit each",
          Bench.fmt("%,.0f /s", single / ((System.nanoTime() - start) / 1e9))));
      int batched = 50_000;
      start = System.nanoTime();
      for (int from = 0; from < batched; from += 512) {
        int first = from;
        cache.batch(() -> {
          for (int i = first; i < Math.min(first + 512, batched); i++) {
            cache.recordObject("kubelet", "/v1/configmaps", configMap(single + i));
          }
        });
      }
      rows.add(new Row("in-process", "durable cache writes, group commit of 512",
          Bench.fmt("%,.0f /s", batched / ((System.nanoTime() - start) / 1e9))));
    } finally {
      Bench.deleteRecursively(dir);
    }
    return rows;
  }

  private static byte[] configMap(int i) {
    return ("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm-" + i
        + "\",\"namespace\":\"bench\",\"resourceVersion\":\"" + (i + 1) + "\"},\"data\":{\"settings\":\""
        + "x".repeat(400) + "\"}}").getBytes(StandardCharsets.UTF_8);
  }
}
