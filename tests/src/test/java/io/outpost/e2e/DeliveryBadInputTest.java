package io.outpost.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.outpost.demo.Fleet;
import io.outpost.e2e.support.DeliveryApi;
import io.outpost.e2e.support.GitFixture;
import io.outpost.e2e.support.HubClient;
import io.outpost.hub.delivery.BundleView;
import io.outpost.hub.delivery.SourceView;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Broken input to GitOps delivery gets a clear status with the reason, and nothing is half-applied:
 * unreachable repositories, refused credentials (never echoed back), invalid YAML and an unknown
 * bundle-file field. (An unknown kind and a selector matching nothing are in {@link DeliveryTest}.)
 * The same one-cluster fleet also serves the polling and CLI scenarios.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DeliveryBadInputTest {

  static final Duration WAIT = Duration.ofSeconds(30);

  Path dir;
  Fleet fleet;
  DeliveryApi api;
  HubClient hub;

  @BeforeAll
  void startFleet() throws Exception {
    dir = Files.createTempDirectory("delivery-bad-input");
    fleet = Fleet.start(dir.resolve("fleet"), List.of(Fleet.Member.of("edge-1", "edge", Map.of("env", "prod"))),
        h -> h.property("delivery.tick-interval", "100ms"), a -> a);
    hub = new HubClient(fleet);
    api = new DeliveryApi(hub);
  }

  @AfterAll
  void stopFleet() {
    if (fleet != null) {
      fleet.close();
    }
  }

  static Map<String, Object> source(String name, String url) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("name", name);
    body.put("url", url);
    body.put("paths", List.of("app"));
    return body;
  }

  @Test
  void aRepositoryThatDoesNotExistIsAFailedSourceSayingSo() {
    String missing = dir.resolve("no-such-repo").toString();
    SourceView view = api.source(source("missing", missing));
    assertThat(view.status()).isEqualTo("Failed");
    assertThat(view.message()).startsWith("source \"missing\" (" + missing + "): ");
    assertThat(view.message()).contains("no-such-repo");
  }

  @Test
  void anUnreachableServerIsAFailedSourceSayingSo() {
    SourceView view = api.source(source("unreachable", "https://127.0.0.1:1/team/apps.git"));
    assertThat(view.status()).isEqualTo("Failed");
    assertThat(view.message()).startsWith("source \"unreachable\" (https://127.0.0.1:1/team/apps.git): cannot fetch: ");
  }

  @Test
  void refusedCredentialsAreReportedAndNeverEchoedBack() throws Exception {
    HttpServer git = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    git.createContext("/", exchange -> {
      exchange.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"git\"");
      exchange.sendResponseHeaders(401, -1);
      exchange.close();
    });
    git.start();
    try {
      String url = "http://127.0.0.1:" + git.getAddress().getPort() + "/team/apps.git";
      Map<String, Object> body = source("private", url);
      body.put("credentials", Map.of("username", "ci", "token", "s3cret-token"));

      SourceView view = api.source(body);

      assertThat(view.status()).isEqualTo("Failed");
      assertThat(view.message()).startsWith("source \"private\" (" + url + "): the repository refused the credentials: ");
      assertThat(view.hasCredentials()).isTrue();
      String shown = hub.get("/api/v1/sources/private").body() + hub.get("/api/v1/sources").body();
      assertThat(shown).contains("\"hasCredentials\":true").doesNotContain("s3cret-token").doesNotContain("\"ci\"");
    } finally {
      git.stop(0);
    }
  }

  @Test
  void invalidYamlInANewCommitIsReportedAndTheClusterKeepsThePreviousRevision() {
    try (GitFixture repo = GitFixture.init(dir.resolve("yaml"))) {
      String v1 = repo.write("app/outpost-bundle.yaml", "name: yaml\nnamespace: yaml\ntargets: [{}]\n")
          .write("app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {v: one}\n")
          .commit("good");
      api.source(source("yaml", repo.url()));
      await().atMost(WAIT).until(() -> "Complete".equals(api.bundle("yaml").phase()));

      String v2 = repo.write("app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {v: two\n")
          .commit("broken");
      SourceView view = api.webhook("yaml");

      assertThat(view.status()).isEqualTo("Failed");
      assertThat(view.bundles()).singleElement().satisfies(b -> {
        assertThat(b.bundle()).isEqualTo("yaml");
        assertThat(b.error()).startsWith("app/cm.yaml: invalid YAML at line ");
      });
      await().atMost(WAIT).until(() -> "Invalid".equals(api.bundle("yaml").phase()));
      BundleView bundle = api.bundle("yaml");
      assertThat(bundle.message()).startsWith("commit " + v2.substring(0, 12) + " cannot be delivered: app/cm.yaml:"
          + " invalid YAML at line ").endsWith("; clusters keep revision " + v1.substring(0, 12));
      assertThat(bundle.revision()).isEqualTo(v1);
      assertThat(api.cluster("yaml", "edge-1").revision()).isEqualTo(v1);
      assertThat(fleet.sandbox("edge-1").client().configMaps().inNamespace("yaml").withName("cm").get().getData())
          .containsEntry("v", "one");
    }
  }

  @Test
  void anUnknownBundleFileFieldIsNamedWithTheFileAndNothingIsDelivered() {
    try (GitFixture repo = GitFixture.init(dir.resolve("field"))) {
      repo.write("app/outpost-bundle.yaml", "name: field\nnamespace: field\ntargets: [{}]\nreplicas: 3\n")
          .write("app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n").commit("typo");

      SourceView view = api.source(source("field", repo.url()));

      String expected = "app/outpost-bundle.yaml: unknown field \"replicas\" (expected one of: customizations, drift,"
          + " exclude, name, namespace, rollout, targets, values)";
      assertThat(view.bundles()).singleElement().satisfies(b -> assertThat(b.error()).isEqualTo(expected));
      BundleView bundle = api.bundle("field");
      assertThat(bundle.phase()).isEqualTo("Invalid");
      assertThat(bundle.message()).contains(expected);
      assertThat(bundle.revision()).isNull();
      assertThat(fleet.sandbox("edge-1").client().namespaces().withName("field").get()).isNull();
    }
  }

  /** A source is polled on its interval: a commit arrives without anyone calling the webhook. */
  @Test
  void aNewCommitIsPickedUpByPolling() {
    try (GitFixture repo = GitFixture.init(dir.resolve("poll"))) {
      repo.write("app/outpost-bundle.yaml", "name: poll\nnamespace: poll\ntargets: [{}]\n")
          .write("app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {v: one}\n").commit("one");
      Map<String, Object> body = source("poll", repo.url());
      body.put("pollInterval", "1s");
      api.source(body);
      await().atMost(WAIT).until(() -> "Complete".equals(api.bundle("poll").phase()));

      String v2 = repo.write("app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {v: two}\n")
          .commit("two");

      await().atMost(WAIT).untilAsserted(() -> {
        BundleView.ClusterView c = api.cluster("poll", "edge-1");
        assertThat(c.revision()).isEqualTo(v2);
        assertThat(c.status()).isEqualTo("Synced");
      });
      assertThat(api.bundle("poll").history()).last().satisfies(h -> assertThat(h.by()).isEqualTo("git poll"));
      assertThat(fleet.sandbox("edge-1").client().configMaps().inNamespace("poll").withName("cm").get().getData())
          .containsEntry("v", "two");
    }
  }

  /**
   * A Git server's push webhook carries no hub token: it is accepted when signed with the source's
   * webhook secret (GitHub's and GitLab's forms here) and refused, saying why, otherwise.
   */
  @Test
  void aPushWebhookSignedWithTheSourcesSecretFetchesAtOnceAndOthersAreRefused() throws Exception {
    try (GitFixture repo = GitFixture.init(dir.resolve("hook"))) {
      repo.write("app/outpost-bundle.yaml", "name: hook\nnamespace: hook\ntargets: [{}]\n")
          .write("app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {v: one}\n").commit("one");
      Map<String, Object> body = source("hook", repo.url());
      body.put("pollInterval", "1h");
      body.put("webhookSecret", "hook-s3cret");
      api.source(body);
      String two = repo.write("app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {v: two}\n")
          .commit("two");
      byte[] push = "{\"ref\":\"refs/heads/main\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);

      var unsigned = hook("hook", push, Map.of());
      assertThat(unsigned.statusCode()).isEqualTo(401);
      assertThat(unsigned.body()).contains("the webhook is not signed: expected X-Hub-Signature-256");
      var forged = hook("hook", push, Map.of("X-Hub-Signature-256", "sha256=" + "0".repeat(64)));
      assertThat(forged.statusCode()).isEqualTo(401);
      assertThat(forged.body()).contains("X-Hub-Signature-256 does not match the source's webhookSecret");
      assertThat(api.bundle("hook").history()).last().satisfies(h -> assertThat(h.by()).doesNotStartWith("webhook"));

      var github = hook("hook", push, Map.of("X-Hub-Signature-256", "sha256=" + hmacSha256Hex("hook-s3cret", push)));
      assertThat(github.statusCode()).as(github.body()).isEqualTo(200);
      assertThat(github.body()).contains(two);
      await().atMost(WAIT).untilAsserted(() -> assertThat(api.bundle("hook").history()).last()
          .satisfies(h -> assertThat(h.by()).isEqualTo("webhook (github)")));

      String three = repo.write("app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {v: 3}\n")
          .commit("three");
      var gitlab = hook("hook", push, Map.of("X-Gitlab-Token", "hook-s3cret"));
      assertThat(gitlab.statusCode()).as(gitlab.body()).isEqualTo(200);
      assertThat(gitlab.body()).contains(three);
      assertThat(hub.get("/api/v1/sources/hook").body() + hub.get("/api/v1/sources").body()).doesNotContain("hook-s3cret");

      var noSecret = hook("missing", push, Map.of("X-Gitlab-Token", "x"));
      assertThat(noSecret.statusCode()).isIn(401, 404);
    }
  }

  private java.net.http.HttpResponse<String> hook(String source, byte[] body, Map<String, String> headers) {
    var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(fleet.hub().url() + "/hooks/sources/" + source))
        .header("Content-Type", "application/json").POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body));
    headers.forEach(request::header);
    return hub.send(request.build());
  }

  private static String hmacSha256Hex(String secret, byte[] body) throws Exception {
    javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
    mac.init(new javax.crypto.spec.SecretKeySpec(secret.getBytes(java.nio.charset.StandardCharsets.UTF_8), "HmacSHA256"));
    return java.util.HexFormat.of().formatHex(mac.doFinal(body));
  }

  /** The CLI as a platform engineer uses it: add a source, follow the rollout, list bundles, pause. */
  @Test
  void theCliAddsASourceFollowsTheRolloutAndListsBundles() {
    try (GitFixture repo = GitFixture.init(dir.resolve("cli"))) {
      String commit = repo.write("app/outpost-bundle.yaml", "name: cli\nnamespace: cli\ntargets: [{}]\n")
          .write("app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n").commit("cli");

      assertThat(cli("sources", "add", "cli", "--url", repo.url(), "--path", "app")).contains("\"status\":\"Ready\"");
      String status = cli("rollout", "status", "cli", "--timeout", "30s");
      assertThat(status.lines().toList()).last().asString()
          .isEqualTo("cli " + commit.substring(0, 12) + " wave 1/1 Complete: 1/1 Synced, 0 Applying, 0 Failed,"
              + " 0 Offline, 0 Pending");
      assertThat(cli("bundles").lines().toList()).hasSize(2).last().asString()
          .matches("cli +" + commit.substring(0, 12) + " +Complete +1/1 +1/1 +0 +0 +0 *");
      assertThat(cli("rollout", "pause", "cli")).startsWith("cli " + commit.substring(0, 12) + " wave 1/1 Paused:");
    }
  }

  private String cli(String... args) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    java.io.PrintStream original = System.out;
    List<String> all = new java.util.ArrayList<>(List.of(args));
    all.addAll(List.of("--hub", fleet.hub().url(), "--token", fleet.adminToken(), "--ca-hash", fleet.hub().caPin()));
    int exit;
    System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      exit = io.outpost.hub.cli.HubMain.commandLine().execute(all.toArray(String[]::new));
    } finally {
      System.setOut(original);
    }
    String printed = out.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(exit).as(String.join(" ", args) + " printed: " + printed).isZero();
    return printed;
  }
}
