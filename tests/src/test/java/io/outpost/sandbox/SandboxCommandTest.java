package io.outpost.sandbox;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SandboxCommandTest {

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private CommandLine commandLine(SandboxCommand command) {
    return new CommandLine(command).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true));
  }

  @Test
  void givenHelpFlag_whenExecuted_thenEveryFlagIsExplained() {
    int exitCode = commandLine(new SandboxCommand()).execute("--help");

    assertEquals(0, exitCode);
    for (String flag : List.of("--port", "--name", "--nodes", "--pods-per-node", "--kubeconfig", "--verbose")) {
      assertTrue(out.toString().contains(flag), () -> flag + " missing from:\n" + out);
    }
    assertTrue(out.toString().contains(".outpost/sandbox-NAME.kubeconfig"), out::toString);
  }

  @Test
  void givenFlags_whenRun_thenItPrintsKubeconfigAndServerAndServesUntilStopped(@TempDir Path dir) throws Exception {
    SandboxCommand command = new SandboxCommand();
    Path kubeconfig = dir.resolve("cmd.kubeconfig");
    CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> commandLine(command).execute(
        "--name", "cmd", "--nodes", "2", "--pods-per-node", "1", "--kubeconfig", kubeconfig.toString()));
    try {
      await().atMost(Duration.ofSeconds(20)).until(() -> out.toString().contains("server: "));

      List<String> lines = out.toString().lines().toList();
      assertEquals("kubeconfig: " + kubeconfig.toAbsolutePath(), lines.get(0));
      assertTrue(lines.get(1).matches("server: http://127\\.0\\.0\\.1:\\d+"), lines::toString);
      String server = lines.get(1).substring("server: ".length());
      try (KubernetesClient client = new KubernetesClientBuilder()
          .withConfig(Config.fromKubeconfig(Files.readString(kubeconfig)))
          .withHttpClientFactory(new JdkHttpClientFactory()).build()) {
        assertEquals(server + "/", client.getMasterUrl().toString());
        assertEquals(2, client.nodes().list().getItems().size());
        assertEquals(2, client.pods().inAnyNamespace().list().getItems().size());
      }

      command.stop();
      assertEquals(0, run.get(10, TimeUnit.SECONDS));
      HttpClient http = HttpClient.newHttpClient();
      assertThrows(IOException.class, () -> http.send(HttpRequest.newBuilder(URI.create(server + "/healthz")).build(),
          HttpResponse.BodyHandlers.ofString()));
    } finally {
      command.stop();
    }
  }

  @Test
  void givenInvalidName_whenRun_thenItExitsWithOneLineReason() {
    int exitCode = commandLine(new SandboxCommand()).execute("--name", "Not_A_Label");

    assertEquals(1, exitCode);
    assertTrue(err.toString().startsWith("sandbox: sandbox name 'Not_A_Label'"), err::toString);
  }
}
