package io.outpost.hub.delivery;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.TransportConfigCallback;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.api.errors.InvalidRemoteException;
import org.eclipse.jgit.api.errors.TransportException;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.SshTransport;
import org.eclipse.jgit.transport.URIish;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;
import org.eclipse.jgit.transport.sshd.SshdSessionFactory;
import org.eclipse.jgit.transport.sshd.SshdSessionFactoryBuilder;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.treewalk.filter.PathFilter;

/**
 * The hub's mirrors of its Git sources: one bare repository per source under the hub data dir,
 * fetched with JGit. Bundles are read straight from the object database at a commit (no
 * checkout), so rendering an older commit for a rollback is as cheap as the newest.
 *
 * <pre>{@code
 * GitRepos repos = new GitRepos(dataDir.resolve("git"), Duration.ofSeconds(30));
 * Commit head = repos.fetch(spec, credentials);
 * Map<String, byte[]> files = repos.files("apps", head.id(), "web");
 * }</pre>
 */
public final class GitRepos {

  private final Path dir;
  private final Duration timeout;

  public GitRepos(Path dir, Duration timeout) {
    this.dir = dir;
    this.timeout = timeout;
  }

  /** Fetches branches and tags of the source and resolves its ref to a commit. */
  public Commit fetch(SourceSpec spec, SourceSpec.Credentials credentials) throws DeliveryException {
    String where = "source \"" + spec.name() + "\" (" + spec.url() + ")";
    Path sshDir = null;
    try (Git git = open(spec.name())) {
      var fetch = git.fetch()
          .setRemote(remoteUrl(spec.url()))
          .setRefSpecs("+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*")
          .setRemoveDeletedRefs(true)
          .setTimeout((int) Math.max(1, timeout.toSeconds()));
      if (credentials != null && credentials.token() != null) {
        String user = credentials.username() == null ? "outpost" : credentials.username();
        fetch.setCredentialsProvider(new UsernamePasswordCredentialsProvider(user, credentials.token()));
      }
      if (credentials != null && credentials.sshPrivateKey() != null) {
        sshDir = Files.createTempDirectory(dir, ".ssh-");
        fetch.setTransportConfigCallback(ssh(spec, credentials, sshDir));
      }
      fetch.call();
      return resolve(git.getRepository(), spec.name(), spec.refOrDefault(), where);
    } catch (InvalidRemoteException e) {
      throw new DeliveryException(where + ": no Git repository there: " + rootMessage(e));
    } catch (TransportException e) {
      String reason = rootMessage(e);
      if (reason.contains("not authorized") || reason.contains("Authentication") || reason.contains("auth")) {
        throw new DeliveryException(where + ": the repository refused the credentials: " + reason);
      }
      throw new DeliveryException(where + ": cannot fetch: " + reason);
    } catch (GitAPIException | RuntimeException e) {
      throw new DeliveryException(where + ": cannot fetch: " + rootMessage(e), e);
    } catch (IOException e) {
      throw new DeliveryException(where + ": cannot use the local mirror: " + e.getMessage(), e);
    } finally {
      deleteQuietly(sshDir);
    }
  }

  /** Resolves a commit id (or a unique prefix), branch or tag already fetched for the source. */
  public Commit resolve(String source, String revision) throws DeliveryException {
    try (Git git = open(source)) {
      return resolve(git.getRepository(), source, revision, "source \"" + source + "\"");
    } catch (IOException e) {
      throw new DeliveryException("source \"" + source + "\": cannot use the local mirror: " + e.getMessage(), e);
    }
  }

  /**
   * The files under {@code path} at {@code commit}, by their path relative to {@code path}, and
   * the id of that directory's tree (equal ids: identical content).
   */
  public Tree files(String source, String commit, String path) throws DeliveryException {
    String dirPath = normalize(path);
    try (Git git = open(source); RevWalk walk = new RevWalk(git.getRepository())) {
      Repository repo = git.getRepository();
      RevCommit rev = walk.parseCommit(ObjectId.fromString(commit));
      ObjectId treeId = rev.getTree().getId();
      if (!dirPath.isEmpty()) {
        try (TreeWalk dirWalk = TreeWalk.forPath(repo, dirPath, rev.getTree())) {
          if (dirWalk == null) {
            throw new DeliveryException("source \"" + source + "\": path \"" + path + "\" does not exist at commit "
                + commit.substring(0, 12));
          }
          treeId = dirWalk.getObjectId(0);
        }
      }
      Map<String, byte[]> files = new LinkedHashMap<>();
      try (TreeWalk tree = new TreeWalk(repo)) {
        tree.addTree(rev.getTree());
        tree.setRecursive(true);
        if (!dirPath.isEmpty()) {
          tree.setFilter(PathFilter.create(dirPath));
        }
        while (tree.next()) {
          String relative = dirPath.isEmpty() ? tree.getPathString() : tree.getPathString().substring(dirPath.length() + 1);
          files.put(relative, repo.open(tree.getObjectId(0)).getBytes());
        }
      }
      return new Tree(treeId.name(), files);
    } catch (IOException e) {
      throw new DeliveryException("source \"" + source + "\": cannot read commit " + commit + ": " + e.getMessage(), e);
    }
  }

  /** Files of a bundle directory at one commit. */
  public record Tree(String id, Map<String, byte[]> files) {}

  /** Forgets a source's mirror. */
  public void delete(String source) {
    deleteQuietly(dir.resolve(source + ".git"));
  }

  private Git open(String source) throws IOException {
    Path repo = dir.resolve(source + ".git");
    if (!Files.isDirectory(repo)) {
      Files.createDirectories(repo);
      try {
        return Git.init().setBare(true).setDirectory(repo.toFile()).call();
      } catch (GitAPIException e) {
        throw new IOException("cannot create " + repo + ": " + e.getMessage(), e);
      }
    }
    return Git.open(repo.toFile());
  }

  private static Commit resolve(Repository repo, String source, String ref, String where) throws DeliveryException {
    try {
      for (String candidate : List.of("refs/remotes/origin/" + ref, "refs/tags/" + ref)) {
        ObjectId id = repo.resolve(candidate + "^{commit}");
        if (id != null) {
          return describe(repo, id);
        }
      }
      if (ref.matches("[0-9a-fA-F]{4,40}")) {
        ObjectId id = repo.resolve(ref + "^{commit}");
        if (id != null) {
          return describe(repo, id);
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new DeliveryException(where + ": cannot resolve \"" + ref + "\": " + e.getMessage(), e);
    }
    throw new DeliveryException(where + ": \"" + ref + "\" is not a branch, tag or commit of the repository");
  }

  private static Commit describe(Repository repo, ObjectId id) throws IOException {
    try (RevWalk walk = new RevWalk(repo)) {
      RevCommit c = walk.parseCommit(id);
      return new Commit(c.getName(), c.getShortMessage(), c.getAuthorIdent().getName(),
          c.getAuthorIdent().getWhenAsInstant().toString());
    }
  }

  private TransportConfigCallback ssh(SourceSpec spec, SourceSpec.Credentials credentials, Path sshDir)
      throws IOException, DeliveryException {
    if (credentials.sshKnownHosts() == null || credentials.sshKnownHosts().isBlank()) {
      throw new DeliveryException("source \"" + spec.name() + "\": an ssh key needs credentials.sshKnownHosts"
          + " (the server's line from known_hosts), so the hub knows it talks to the right server");
    }
    Path key = sshDir.resolve("id_outpost");
    Files.writeString(key, credentials.sshPrivateKey().strip() + "\n", StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    Files.writeString(sshDir.resolve("known_hosts"), credentials.sshKnownHosts().strip() + "\n", StandardCharsets.UTF_8);
    SshdSessionFactory factory = new SshdSessionFactoryBuilder()
        .setHomeDirectory(sshDir.toFile())
        .setSshDirectory(sshDir.toFile())
        .setDefaultIdentities(d -> List.of(key))
        .build(null);
    return transport -> {
      if (transport instanceof SshTransport sshTransport) {
        sshTransport.setSshSessionFactory(factory);
      }
    };
  }

  /** Plain paths become file URLs; anything else is passed as written after a syntax check. */
  private static String remoteUrl(String url) throws InvalidRemoteException {
    try {
      new URIish(url);
      return url;
    } catch (URISyntaxException e) {
      throw new InvalidRemoteException("not a Git URL: " + e.getMessage());
    }
  }

  private static String normalize(String path) {
    String p = path.replace('\\', '/').replaceAll("^/+|/+$", "");
    return p.equals(".") ? "" : p;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String message = e.getMessage();
    return t == e || t.getMessage() == null ? message : message + " (" + t.getMessage() + ")";
  }

  private static void deleteQuietly(Path path) {
    if (path == null || !Files.exists(path)) {
      return;
    }
    try (Stream<Path> files = Files.walk(path)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + path, e);
    }
  }
}
