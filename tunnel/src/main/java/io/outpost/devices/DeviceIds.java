package io.outpost.devices;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The rule for device ids, shared by the agent (ids taken from topics) and the hub (ids in REST
 * paths): letters, digits, {@code . _ -}, at most 128 characters, not
 * {@code .} or {@code ..}, so an id is safe in a topic, a URL path and a store key.
 */
public final class DeviceIds {

  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._-]{1,128}");

  private DeviceIds() {}

  /** Why {@code id} is not a valid device id, or empty if it is. */
  public static Optional<String> problem(String id) {
    if (id.contains("/") || id.contains("+") || id.contains("#")) {
      return Optional.of("device id \"" + id + "\": must not contain '/', '+' or '#'");
    }
    if (!VALID.matcher(id).matches() || id.equals(".") || id.equals("..")) {
      return Optional.of("device id \"" + id + "\": use 1 to 128 letters, digits, '.', '_' or '-' (not '.' or '..')");
    }
    return Optional.empty();
  }
}
