package io.outpost.hub.delivery;

/** A problem a user must fix (a source that cannot be fetched, a bundle that cannot be rendered); the message says which and why. */
public final class DeliveryException extends Exception {

  public DeliveryException(String message) {
    super(message);
  }

  public DeliveryException(String message, Throwable cause) {
    super(message, cause);
  }
}
