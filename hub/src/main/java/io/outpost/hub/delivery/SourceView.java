package io.outpost.hub.delivery;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import java.util.List;

/**
 * What the REST API shows of a Git source; credentials are never part of it, only whether there are any.
 *
 * @param status Pending (not fetched yet), Ready, or Failed with {@code message}
 * @param bundles per path: the bundle found there, or why it cannot be delivered
 */
@Serdeable
public record SourceView(String name, String url, String ref, List<String> paths, String pollInterval,
    boolean hasCredentials, String status, @Nullable String message, @Nullable Commit commit,
    @Nullable String lastFetch, List<PathStatus> bundles) {

  public static final String PENDING = "Pending";
  public static final String READY = "Ready";
  public static final String FAILED = "Failed";

  /** The bundle under one path of the source. */
  @Serdeable
  public record PathStatus(String path, @Nullable String bundle, @Nullable String error) {}
}
