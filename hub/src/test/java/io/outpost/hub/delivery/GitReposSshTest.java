package io.outpost.hub.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.transport.UploadPack;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fetching over ssh with a private key: a real SSH server (Apache MINA sshd, which JGit's ssh
 * transport is built on) on loopback serving {@code git-upload-pack} for a repository made with JGit.
 */
class GitReposSshTest {

  @TempDir Path dir;
  SshServer server;
  Git repo;
  String commit;
  KeyPair client;
  KeyPair host;

  @BeforeEach
  void startServer() throws Exception {
    repo = Git.init().setDirectory(dir.resolve("repo").toFile()).setInitialBranch("main").call();
    Files.writeString(dir.resolve("repo/README"), "hello", StandardCharsets.UTF_8);
    repo.add().addFilepattern(".").call();
    PersonIdent me = new PersonIdent("t", "t@example.com");
    commit = repo.commit().setMessage("first").setAuthor(me).setCommitter(me).call().getName();

    client = keyPair();
    host = keyPair();
    server = SshServer.setUpDefaultServer();
    server.setHost("127.0.0.1");
    server.setPort(0);
    server.setKeyPairProvider(KeyPairProvider.wrap(host));
    server.setPublickeyAuthenticator((user, key, session) -> KeyUtils.compareKeys(key, client.getPublic()));
    server.setCommandFactory((channel, command) -> new UploadPackCommand(repo.getRepository()));
    server.start();
  }

  @AfterEach
  void stopServer() throws IOException {
    server.stop(true);
    repo.close();
  }

  /** RSA: its PKCS#8 form carries everything ssh needs (an EC one lacks the public point). */
  static KeyPair keyPair() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    return generator.generateKeyPair();
  }

  static String pem(KeyPair pair) {
    return "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(pair.getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n";
  }

  String url() {
    return "ssh://git@127.0.0.1:" + server.getPort() + "/apps.git";
  }

  String knownHosts() {
    return "[127.0.0.1]:" + server.getPort() + " " + PublicKeyEntry.toString(host.getPublic());
  }

  Commit fetch(SourceSpec.Credentials credentials) throws DeliveryException {
    return new GitRepos(dir.resolve("mirrors"), Duration.ofSeconds(20))
        .fetch(new SourceSpec("apps", url(), "main", List.of("."), null), credentials);
  }

  @Test
  void aSourceIsFetchedOverSshWithItsKey() throws Exception {
    Files.createDirectories(dir.resolve("mirrors"));
    Commit head = fetch(new SourceSpec.Credentials(null, null, pem(client), knownHosts()));
    assertEquals(commit, head.id());
    assertEquals("first", head.message());
  }

  @Test
  void aKeyTheServerDoesNotKnowIsRefusedWithAClearMessage() throws Exception {
    Files.createDirectories(dir.resolve("mirrors"));
    String message = assertThrows(DeliveryException.class,
        () -> fetch(new SourceSpec.Credentials(null, null, pem(keyPair()), knownHosts()))).getMessage();
    assertTrue(message.startsWith("source \"apps\" (" + url() + "): the repository refused the credentials: "), message);
  }

  @Test
  void aKeyWithoutKnownHostsIsRefusedBeforeConnecting() throws Exception {
    Files.createDirectories(dir.resolve("mirrors"));
    String message = assertThrows(DeliveryException.class,
        () -> fetch(new SourceSpec.Credentials(null, null, pem(client), null))).getMessage();
    assertTrue(message.contains("an ssh key needs credentials.sshKnownHosts"), message);
  }

  /** Serves one repository's upload-pack, whatever path the client asks for. */
  static final class UploadPackCommand implements Command {
    private final Repository repository;
    private InputStream in;
    private OutputStream out;
    private OutputStream err;
    private ExitCallback exit;

    UploadPackCommand(Repository repository) {
      this.repository = repository;
    }

    @Override
    public void setInputStream(InputStream in) {
      this.in = in;
    }

    @Override
    public void setOutputStream(OutputStream out) {
      this.out = out;
    }

    @Override
    public void setErrorStream(OutputStream err) {
      this.err = err;
    }

    @Override
    public void setExitCallback(ExitCallback exit) {
      this.exit = exit;
    }

    @Override
    public void start(ChannelSession channel, Environment env) {
      Thread thread = new Thread(() -> {
        try {
          new UploadPack(repository).upload(in, out, err);
          out.flush();
          exit.onExit(0);
        } catch (IOException e) {
          exit.onExit(1, e.getMessage());
        }
      }, "upload-pack");
      thread.setDaemon(true);
      thread.start();
    }

    @Override
    public void destroy(ChannelSession channel) {}
  }
}
