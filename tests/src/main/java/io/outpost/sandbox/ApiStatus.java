package io.outpost.sandbox;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;

/**
 * {@code Status} bodies shaped like the apiserver's, so kubectl prints "Error from server
 * (NotFound): pods "x" not found" instead of a generic "the server could not find the requested
 * resource".
 */
final class ApiStatus {

  private ApiStatus() {
  }

  static String failure(int code, String reason, String message) {
    return Serialization.asJson(new StatusBuilder()
        .withStatus("Failure")
        .withCode(code)
        .withReason(reason)
        .withMessage(message)
        .build());
  }

  /** The apiserver's answer for a named object that does not exist, e.g. {@code pods "web-1" not found}. */
  static String notFound(String resource, String name) {
    return Serialization.asJson(new StatusBuilder()
        .withStatus("Failure")
        .withCode(404)
        .withReason("NotFound")
        .withMessage(resource + " \"" + name + "\" not found")
        .withNewDetails().withName(name).withKind(resource).endDetails()
        .build());
  }

  static String badRequest(String message) {
    return failure(400, "BadRequest", message);
  }
}
