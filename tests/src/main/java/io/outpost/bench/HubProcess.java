package io.outpost.bench;

import io.outpost.hub.Hub;
import io.outpost.tunnel.pki.Pem;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A hub alone in its JVM, for {@link HubScaleBenchmark}: so that its RSS, heap and CPU are the
 * hub's and nobody else's. Started with {@code DATA_DIR}; reports {@code ready}, then answers the
 * {@code heap} command with the heap in use after a full GC, as only this JVM can measure it, and
 * to {@code quiet} (no more gRPC warnings: the benchmark is about to drop every agent at once).
 */
public final class HubProcess {

  private HubProcess() {}

  /** Live threads by name with the numbers taken out, largest groups first: who holds the stacks. */
  static String threadGroups() {
    Map<String, Long> groups = Thread.getAllStackTraces().keySet().stream()
        .collect(Collectors.groupingBy(t -> t.getName().replaceAll("\\d+", "N").replace(' ', '_'), Collectors.counting()));
    return groups.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .limit(6)
        .map(e -> e.getKey() + ":" + e.getValue())
        .collect(Collectors.joining(","));
  }

  public static void main(String[] args) {
    Bench.runAndExit(() -> run(args));
  }

  private static void run(String[] args) throws Exception {
    Bench.quietLogs();
    Path dataDir = Path.of(args[0]);
    Hub hub = Hub.builder()
        .dataDir(dataDir)
        .httpsPort(0)
        .tunnelPort(0)
        .property("tunnel-bind-host", "127.0.0.1")
        .start();
    Path ca = dataDir.resolve("bench-ca.pem");
    Files.writeString(ca, Pem.encode(hub.pki().ca().certificate()));
    ChildProcess.report("ready", "url", hub.url(), "tunnelPort", hub.tunnelPort(), "pin", hub.caPin(),
        "admin", hub.firstAdminToken().orElseThrow(), "ca", ca, "pid", ProcessHandle.current().pid());
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    ChildProcess.serveCommands(command -> {
      if (command.equals("heap")) {
        // Two collections: the first may only finish what a concurrent cycle had started.
        System.gc();
        System.gc();
        ChildProcess.report("heap", "used", memory.getHeapMemoryUsage().getUsed(),
            "committed", memory.getHeapMemoryUsage().getCommitted(),
            "nonheap", memory.getNonHeapMemoryUsage().getUsed(),
            "sessions", hub.tunnel().sessions().size(), "threads", threadGroups());
      } else if (command.equals("quiet")) {
        // Before teardown: a thousand agents dropping at once is expected, not worth a stack trace each.
        java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.OFF);
      }
    }, hub::close);
  }
}
