package io.outpost.hub.delivery;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import java.util.List;

/**
 * A Git source as the user declares it: where the repository is, which branch, tag or commit to
 * follow, which paths hold bundles, how often to poll. Credentials travel next to it on creation
 * ({@link Credentials}) and are stored apart; this record never carries them.
 *
 * @param url a local path, {@code https://...} or {@code ssh://...} / {@code git@host:repo}
 * @param ref a branch, tag or commit id; default the remote's HEAD branch ({@code main})
 * @param paths one or more directories, each holding a bundle file and its manifests
 * @param pollInterval e.g. {@code 30s}; default {@code outpost.hub.delivery.poll-interval}
 */
@Serdeable
public record SourceSpec(String name, String url, @Nullable String ref, List<String> paths,
    @Nullable String pollInterval) {

  /** Https token (with an optional user name), or an ssh private key with the known_hosts lines of the server. */
  @Serdeable
  public record Credentials(@Nullable String username, @Nullable String token, @Nullable String sshPrivateKey,
      @Nullable String sshKnownHosts) {}

  /**
   * What {@code POST /api/v1/sources} accepts. {@code webhookSecret}: the secret a Git server signs
   * its push webhooks with ({@code /hooks/sources/NAME}); stored like credentials, never shown.
   */
  @Serdeable
  public record Request(String name, String url, @Nullable String ref, @Nullable List<String> paths,
      @Nullable String pollInterval, @Nullable Credentials credentials, @Nullable String webhookSecret) {}

  String refOrDefault() {
    return ref == null || ref.isBlank() ? "main" : ref;
  }
}
