package io.outpost.hub.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.PersonIdent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A local repository made with JGit, mirrored and read back by branch, tag and commit. */
class GitReposTest {

  @TempDir Path dir;

  String commit(Git git, String file, String content, String message) throws Exception {
    Path path = dir.resolve("repo").resolve(file);
    Files.createDirectories(path.getParent());
    Files.writeString(path, content, StandardCharsets.UTF_8);
    git.add().addFilepattern(".").call();
    PersonIdent me = new PersonIdent("Ann", "ann@example.com");
    return git.commit().setMessage(message).setAuthor(me).setCommitter(me).call().getName();
  }

  @Test
  void branchesTagsAndCommitsResolveAndFilesAreReadAtACommit() throws Exception {
    try (Git git = Git.init().setDirectory(dir.resolve("repo").toFile()).setInitialBranch("main").call()) {
      String v1 = commit(git, "apps/web/a.yaml", "one", "v1");
      git.tag().setName("v1.0").setObjectId(git.getRepository().parseCommit(git.getRepository().resolve(v1))).call();
      String v2 = commit(git, "apps/web/sub/b.yaml", "two", "v2");
      GitRepos repos = new GitRepos(dir.resolve("mirrors"), Duration.ofSeconds(10));
      Files.createDirectories(dir.resolve("mirrors"));
      String url = dir.resolve("repo").toString();

      Commit head = repos.fetch(new SourceSpec("s", url, null, List.of("apps/web"), null), null);
      assertEquals(v2, head.id());
      assertEquals("Ann", head.author());
      assertEquals(v1, repos.fetch(new SourceSpec("s", url, "v1.0", List.of("."), null), null).id());
      assertEquals(v1, repos.fetch(new SourceSpec("s", url, v1.substring(0, 10), List.of("."), null), null).id());

      assertEquals(Set.of("a.yaml", "sub/b.yaml"), repos.files("s", v2, "apps/web").files().keySet());
      assertEquals(Set.of("a.yaml"), repos.files("s", v1, "apps/web/").files().keySet());
      assertEquals("source \"s\": path \"apps/db\" does not exist at commit " + v2.substring(0, 12),
          assertThrows(DeliveryException.class, () -> repos.files("s", v2, "apps/db")).getMessage());
      assertEquals("source \"s\" (" + url + "): \"release\" is not a branch, tag or commit of the repository",
          assertThrows(DeliveryException.class,
              () -> repos.fetch(new SourceSpec("s", url, "release", List.of("."), null), null)).getMessage());
    }
  }
}
