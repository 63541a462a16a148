package io.outpost.hub.auth;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

/**
 * A single-use join token as stored: the public id and the hash of the secret, never the secret.
 * The token handed to an operator is {@code ID.SECRET} (6 + 16 characters, as kubeadm's).
 */
@Serdeable
public record BootstrapToken(
    String id,
    String secretHash,
    @Nullable String description,
    String createdAt,
    String expiresAt,
    @Nullable String usedAt,
    @Nullable String usedBy) {

  BootstrapToken used(String cluster, String at) {
    return new BootstrapToken(id, secretHash, description, createdAt, expiresAt, at, cluster);
  }
}
