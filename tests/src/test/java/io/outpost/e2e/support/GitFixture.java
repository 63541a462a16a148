package io.outpost.e2e.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.PersonIdent;

/**
 * A Git repository in a temp dir, made and committed to with JGit, as the platform team's repo:
 * {@code repo.write("web/cm.yaml", yaml).commit("add web")} returns the commit id.
 */
public final class GitFixture implements AutoCloseable {

  private final Path dir;
  private final Git git;

  private GitFixture(Path dir, Git git) {
    this.dir = dir;
    this.git = git;
  }

  public static GitFixture init(Path dir) {
    try {
      Files.createDirectories(dir);
      return new GitFixture(dir, Git.init().setDirectory(dir.toFile()).setInitialBranch("main").call());
    } catch (IOException | GitAPIException e) {
      throw new IllegalStateException("cannot create a Git repository in " + dir, e);
    }
  }

  /** The URL the hub is given: the repository's path. */
  public String url() {
    return dir.toAbsolutePath().toString();
  }

  public GitFixture write(String path, String content) {
    try {
      Path file = dir.resolve(path);
      Files.createDirectories(file.getParent());
      Files.writeString(file, content, StandardCharsets.UTF_8);
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public GitFixture delete(String path) {
    try {
      Files.delete(dir.resolve(path));
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Commits every change in the work tree; returns the commit id. */
  public String commit(String message) {
    try {
      git.add().addFilepattern(".").call();
      git.add().addFilepattern(".").setUpdate(true).call();
      PersonIdent who = new PersonIdent("Platform Team", "platform@example.com");
      return git.commit().setMessage(message).setAuthor(who).setCommitter(who).call().getName();
    } catch (GitAPIException e) {
      throw new IllegalStateException("commit failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    git.close();
  }
}
