package io.outpost.tunnel.server;

/** An exchange that could not be started; carries the HTTP status the gateway should answer. */
public final class ExchangeRejectedException extends Exception {

  private final int httpStatus;

  public ExchangeRejectedException(int httpStatus, String message) {
    super(message);
    this.httpStatus = httpStatus;
  }

  public int httpStatus() {
    return httpStatus;
  }
}
