package io.outpost.hub.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code outpost hub} started as an operator would (its own process, default settings but for
 * ports), then the commands that talk to it, with the values it printed.
 */
class HubCliTest {

  @TempDir static Path dir;
  static Process hub;
  static final Map<String, String> printed = new HashMap<>();

  @BeforeAll
  static void startHub() throws Exception {
    hub = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), HubMain.class.getName(),
        "hub", "--data-dir", dir.resolve("hub").toString(), "--port", "0", "--tunnel-port", "0")
        .redirectError(dir.resolve("hub.err").toFile())
        .start();
    BufferedReader out = new BufferedReader(new InputStreamReader(hub.getInputStream(), StandardCharsets.UTF_8));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    for (String line = out.readLine(); line != null && System.nanoTime() < deadline; line = out.readLine()) {
      int colon = line.indexOf(": ");
      if (colon > 0) {
        printed.put(line.substring(0, colon).trim(), line.substring(colon + 2).trim());
      }
      if (line.startsWith("  outpost agent join")) {
        printed.put("join", line.trim());
        break;
      }
    }
    assertTrue(printed.containsKey("join"), () -> "the hub did not print a join command; stderr: "
        + readQuietly(dir.resolve("hub.err")) + " stdout: " + printed);
  }

  @AfterAll
  static void stopHub() throws Exception {
    hub.destroy();
    hub.waitFor(10, TimeUnit.SECONDS);
  }

  @Test
  void theFirstStartPrintsTheUrlTheCaHashTheAdminTokenOnceAndAJoinCommand() {
    assertTrue(printed.get("hub").startsWith("https://localhost:"), printed.toString());
    assertTrue(printed.get("ca-hash").matches("sha256:[0-9a-f]{64}"), printed.toString());
    assertTrue(printed.get("admin token (shown once, stored hashed)").startsWith("op_admin_"), printed.toString());
    assertTrue(printed.get("join").contains("--ca-hash " + printed.get("ca-hash")), printed.get("join"));
    assertTrue(printed.get("join").matches(".*--token [a-z0-9]{6}\\.[a-z0-9]{16} .*"), printed.get("join"));
  }

  @Test
  void tokenCreateAndKubeconfigWorkWithWhatTheHubPrinted() {
    String created = run("token", "create", "--ttl", "2h", "--description", "cli test");
    assertTrue(created.contains("token: ") && created.contains("join: outpost agent join --hub localhost:"), created);

    String kubeconfig = run("kubeconfig");
    assertTrue(kubeconfig.contains("kind: Config") && kubeconfig.contains("token: op_admin_"), kubeconfig);
    assertTrue(run("clusters").startsWith("["), "clusters lists JSON");
  }

  @Test
  void aWrongCaHashIsRefusedBeforeTheTokenIsSent() {
    String[] args = withHub("clusters");
    args[args.length - 1] = "sha256:" + "0".repeat(64);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = HubMain.commandLine().setErr(new java.io.PrintWriter(err, true)).execute(args);
    assertEquals(1, exit);
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("--ca-hash"), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void aCommandTheHubRefusesPrintsOneLineSayingWhyNotAStackTrace() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = HubMain.commandLine().setErr(new java.io.PrintWriter(err, true))
        .execute(withHub("clusters", "get", "no-such-cluster"));
    String printed = err.toString(StandardCharsets.UTF_8);
    assertEquals(1, exit, printed);
    assertTrue(printed.startsWith("error: the hub answered 404: ") && printed.contains("no-such-cluster"), printed);
    assertEquals(1, printed.strip().lines().count(), printed);
  }

  @Test
  void aCommandWithoutTheHubsAddressSaysWhichOptionIsMissing() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = HubMain.commandLine().setErr(new java.io.PrintWriter(err, true))
        .execute("clusters", "get", "edge-1", "--token", "t", "--ca-hash", "sha256:" + "0".repeat(64));
    String printed = err.toString(StandardCharsets.UTF_8);
    assertEquals(1, exit, printed);
    assertTrue(printed.startsWith("error: missing --hub URL (or set OUTPOST_HUB)"), printed);
  }

  private static String run(String... command) {
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      int exit = HubMain.commandLine().execute(withHub(command));
      assertEquals(0, exit, () -> "exit code of " + List.of(command) + ": " + captured);
    } finally {
      System.setOut(original);
    }
    return captured.toString(StandardCharsets.UTF_8);
  }

  private static String[] withHub(String... command) {
    List<String> args = new java.util.ArrayList<>(List.of(command));
    args.addAll(List.of("--hub", printed.get("hub"), "--token", printed.get("admin token (shown once, stored hashed)"),
        "--ca-hash", printed.get("ca-hash")));
    return args.toArray(String[]::new);
  }

  private static String readQuietly(Path file) {
    try {
      return Files.readString(file);
    } catch (Exception e) {
      return "(unreadable)";
    }
  }
}
