package io.outpost.hub.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Ref;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A source behind HTTP with a token: a real HTTP server (the JDK's) serves a repository made with
 * JGit over Git's "dumb" HTTP protocol and answers 401 unless the request carries the token as
 * Basic credentials, as Git hosting does for {@code https://TOKEN@host/...} clones.
 */
class GitReposHttpTest {

  static final String TOKEN = "glpat-0123456789abcdef";

  @TempDir Path dir;
  HttpServer server;
  String head;

  @BeforeEach
  void serveRepository() throws Exception {
    Path work = dir.resolve("repo");
    try (Git git = Git.init().setDirectory(work.toFile()).setInitialBranch("main").call()) {
      Files.createDirectories(work.resolve("apps/web"));
      Files.writeString(work.resolve("apps/web/a.yaml"), "kind: ConfigMap\n", StandardCharsets.UTF_8);
      git.add().addFilepattern(".").call();
      PersonIdent me = new PersonIdent("Ann", "ann@example.com");
      head = git.commit().setMessage("v1").setAuthor(me).setCommitter(me).call().getName();
      StringBuilder refs = new StringBuilder();
      for (Ref ref : git.getRepository().getRefDatabase().getRefs()) {
        refs.append(ref.getObjectId().getName()).append('\t').append(ref.getName()).append('\n');
      }
      Files.createDirectories(work.resolve(".git/info"));
      Files.writeString(work.resolve(".git/info/refs"), refs, StandardCharsets.UTF_8);
    }
    Path gitDir = work.resolve(".git");
    String expected = "Basic " + Base64.getEncoder().encodeToString(("ci:" + TOKEN).getBytes(StandardCharsets.UTF_8));
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/team/apps.git/", exchange -> {
      try (exchange) {
        if (!expected.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
          exchange.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"git\"");
          exchange.sendResponseHeaders(401, -1);
          return;
        }
        Path file = gitDir.resolve(exchange.getRequestURI().getPath().substring("/team/apps.git/".length())).normalize();
        if (!file.startsWith(gitDir) || !Files.isRegularFile(file)) {
          exchange.sendResponseHeaders(404, -1);
          return;
        }
        byte[] bytes = Files.readAllBytes(file);
        exchange.sendResponseHeaders(200, bytes.length);
        exchange.getResponseBody().write(bytes);
      } catch (IOException e) {
        throw new IOException("serving " + exchange.getRequestURI() + ": " + e.getMessage(), e);
      }
    });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  @Test
  void theRightTokenFetchesTheCommitAndAWrongOneIsRefusedByName() throws Exception {
    GitRepos repos = new GitRepos(dir.resolve("mirrors"), Duration.ofSeconds(10));
    Files.createDirectories(dir.resolve("mirrors"));
    String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/team/apps.git";

    Commit fetched = repos.fetch(new SourceSpec("apps", url, "main", List.of("apps/web"), null),
        new SourceSpec.Credentials("ci", TOKEN, null, null));
    assertEquals(head, fetched.id());
    assertEquals(Set.of("a.yaml"), repos.files("apps", head, "apps/web").files().keySet());

    String refused = assertThrows(DeliveryException.class, () -> repos.fetch(
        new SourceSpec("apps", url, "main", List.of("apps/web"), null),
        new SourceSpec.Credentials("ci", "wrong-token", null, null))).getMessage();
    assertTrue(refused.startsWith("source \"apps\" (" + url + "): the repository refused the credentials: "), refused);
    assertTrue(!refused.contains("wrong-token"), refused);
  }
}
