package io.outpost.hub.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code outpost token create|list|revoke}: bootstrap tokens for joining clusters. */
@Command(name = "token", mixinStandardHelpOptions = true,
    description = "Bootstrap tokens: single-use, expiring, stored hashed at the hub.",
    subcommands = {TokenCommand.Create.class, TokenCommand.List.class, TokenCommand.Revoke.class})
public final class TokenCommand {

  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Creates a token and prints it with the join command; the secret is never shown again.")
  static final class Create implements Callable<Integer> {
    @Mixin HubConnection hub;

    @Option(names = "--ttl", defaultValue = "24h", paramLabel = "DURATION", description = "Lifetime. Default: ${DEFAULT-VALUE}.")
    String ttl;

    @Option(names = "--description", defaultValue = "", paramLabel = "TEXT", description = "What it is for.")
    String description;

    @Override
    public Integer call() throws Exception {
      String answer = hub.call("POST", "/api/v1/tokens",
          "{\"ttl\":" + Json.quote(ttl) + ",\"description\":" + Json.quote(description) + "}");
      System.out.println("token: " + Json.field(answer, "token"));
      System.out.println("expires: " + Json.field(answer, "expiresAt"));
      System.out.println("join: " + Json.field(answer, "joinCommand"));
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists tokens (ids, expiry, use), never secrets.")
  static final class List implements Callable<Integer> {
    @Mixin HubConnection hub;

    @Override
    public Integer call() throws Exception {
      System.out.println(hub.call("GET", "/api/v1/tokens", null));
      return 0;
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revokes a token by its id (the part before the dot).")
  static final class Revoke implements Callable<Integer> {
    @Mixin HubConnection hub;

    @Parameters(paramLabel = "ID")
    String id;

    @Override
    public Integer call() throws Exception {
      hub.call("DELETE", "/api/v1/tokens/" + id, null);
      System.out.println("revoked: " + id);
      return 0;
    }
  }
}
