package io.outpost.hub.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code outpost sources list|add|sync|delete}: the Git repositories bundles come from. */
@Command(name = "sources", mixinStandardHelpOptions = true, description = "Git sources of bundles.",
    subcommands = {SourcesCommand.ListSources.class, SourcesCommand.Add.class, SourcesCommand.Sync.class,
        SourcesCommand.Delete.class})
public final class SourcesCommand {

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "Lists sources with their last fetched commit and status (JSON; credentials are never shown).")
  static final class ListSources implements Callable<Integer> {
    @Mixin HubConnection hub;

    @Override
    public Integer call() throws Exception {
      System.out.println(hub.call("GET", "/api/v1/sources", null));
      return 0;
    }
  }

  @Command(name = "add", mixinStandardHelpOptions = true,
      description = "Declares (or replaces) a source and fetches it at once; prints the outcome.")
  static final class Add implements Callable<Integer> {
    @Mixin HubConnection hub;

    @Parameters(paramLabel = "NAME")
    String name;

    @Option(names = "--url", required = true, description = "A local path, https://… or ssh://… URL.")
    String url;

    @Option(names = "--ref", description = "Branch, tag or commit (default main).")
    String ref;

    @Option(names = "--path", description = "A directory holding a bundle; repeat for several (default: the root).")
    List<String> paths = new ArrayList<>();

    @Option(names = "--poll", description = "Poll interval, e.g. 30s (default: the hub's).")
    String poll;

    @Option(names = "--username", description = "User name for an https token (default outpost).")
    String username;

    @Option(names = "--token-file", description = "File holding an https access token.")
    Path tokenFile;

    @Option(names = "--ssh-key-file", description = "Private key file for ssh URLs.")
    Path sshKeyFile;

    @Option(names = "--known-hosts-file", description = "known_hosts lines of the ssh server (required with a key).")
    Path knownHostsFile;

    @Option(names = "--webhook-secret-file",
        description = "File holding the secret the Git server signs push webhooks with (POST /hooks/sources/NAME).")
    Path webhookSecretFile;

    @Override
    public Integer call() throws Exception {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("name", name);
      body.put("url", url);
      body.put("ref", ref);
      body.put("paths", paths);
      body.put("pollInterval", poll);
      if (tokenFile != null || sshKeyFile != null) {
        Map<String, Object> credentials = new LinkedHashMap<>();
        credentials.put("username", username);
        credentials.put("token", read(tokenFile));
        credentials.put("sshPrivateKey", read(sshKeyFile));
        credentials.put("sshKnownHosts", read(knownHostsFile));
        body.put("credentials", credentials);
      }
      body.put("webhookSecret", read(webhookSecretFile));
      System.out.println(hub.call("POST", "/api/v1/sources", BundlesCommand.JSON.writeValueAsString(body)));
      return 0;
    }

    private static String read(Path file) throws java.io.IOException {
      return file == null ? null : Files.readString(file, StandardCharsets.UTF_8).strip();
    }
  }

  @Command(name = "sync", mixinStandardHelpOptions = true,
      description = "Fetches a source now (what its webhook does) and prints the outcome.")
  static final class Sync implements Callable<Integer> {
    @Mixin HubConnection hub;

    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    public Integer call() throws Exception {
      System.out.println(hub.call("POST", "/api/v1/sources/" + name + "/webhook", "{}"));
      return 0;
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true,
      description = "Forgets a source; clusters prune everything its bundles delivered.")
  static final class Delete implements Callable<Integer> {
    @Mixin HubConnection hub;

    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    public Integer call() throws Exception {
      hub.call("DELETE", "/api/v1/sources/" + name, null);
      System.out.println("deleted: " + name);
      return 0;
    }
  }
}
