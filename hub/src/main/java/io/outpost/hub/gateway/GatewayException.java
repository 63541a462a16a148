package io.outpost.hub.gateway;

/** A gateway failure with the HTTP status the user should see. */
final class GatewayException extends RuntimeException {

  private final int httpStatus;

  GatewayException(int httpStatus, String message) {
    super(message, null, false, false);
    this.httpStatus = httpStatus;
  }

  int httpStatus() {
    return httpStatus;
  }
}
