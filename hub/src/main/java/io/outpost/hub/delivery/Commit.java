package io.outpost.hub.delivery;

import io.micronaut.serde.annotation.Serdeable;

/** A Git commit as users see it in revision history. */
@Serdeable
public record Commit(String id, String message, String author, String at) {

  public String shortId() {
    return id.substring(0, Math.min(12, id.length()));
  }
}
