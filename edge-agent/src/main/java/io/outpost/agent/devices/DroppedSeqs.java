package io.outpost.agent.devices;

import com.google.protobuf.InvalidProtocolBufferException;
import io.outpost.cache.store.DurableMap;
import io.outpost.cache.store.DurableStore;
import io.outpost.devices.proto.DeviceMessage;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per device, the highest seq the queue's overflow policy has dropped ({@code devices.dropped} in
 * {@code devices.db}). The hub passes over a gap in a device's seqs only where the agent declares
 * it dropped: any other gap means a message went missing on the way, and the hub asks for a resend.
 */
final class DroppedSeqs {

  private final DurableMap stored;
  private final Map<String, Long> through = new ConcurrentHashMap<>();

  DroppedSeqs(DurableStore store) {
    this.stored = store.map("devices.dropped");
    stored.forEach((device, value) -> through.put(device, ByteBuffer.wrap(value).getLong()));
  }

  /**
   * Writes the drops among {@code lost} (queued {@link DeviceMessage}s) into the store; call inside
   * the transaction that drops them, then {@link #apply} the result once it has committed.
   */
  Map<String, Long> persist(List<byte[]> lost) {
    Map<String, Long> highest = new HashMap<>();
    for (byte[] value : lost) {
      try {
        DeviceMessage m = DeviceMessage.parseFrom(value);
        highest.merge(m.getDevice(), m.getSeq(), Math::max);
      } catch (InvalidProtocolBufferException e) {
        // An unreadable entry names no device; the uplink drops such entries too.
      }
    }
    highest.replaceAll((device, seq) -> Math.max(seq, through(device)));
    highest.forEach((device, seq) -> stored.put(device, ByteBuffer.allocate(8).putLong(seq).array()));
    return highest;
  }

  void apply(Map<String, Long> committed) {
    through.putAll(committed);
  }

  /** The highest dropped seq of {@code device}, 0 if none was dropped. */
  long through(String device) {
    return through.getOrDefault(device, 0L);
  }
}
