package io.outpost.tunnel.server;

import com.google.protobuf.ByteString;
import io.outpost.tunnel.proto.ResponseHead;

/**
 * Receives one exchange's response. Exactly one of {@link #onEnd()} or {@link #onError} ends it.
 * Chunks arrive only as fast as {@link HubExchange#request(int)} asks for them.
 */
public interface ExchangeListener {

  void onHead(ResponseHead head);

  void onChunk(ByteString chunk);

  void onEnd();

  /** @param httpStatus the status to show the user (502 tunnel failure, 504 timeout, ...) */
  void onError(int httpStatus, String message);
}
