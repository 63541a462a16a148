package io.outpost.agent;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The status line of each agent component, by name, as it goes into every heartbeat and from
 * there into the hub's registry (for example {@code mqtt -> connected tcp://127.0.0.1:1883}).
 */
public final class ComponentStatuses {

  private final Map<String, Supplier<String>> components = new ConcurrentHashMap<>();

  /** Registers (or replaces) the component {@code name}; {@code status} is asked at each heartbeat. */
  public void register(String name, Supplier<String> status) {
    components.put(name, status);
  }

  public void remove(String name) {
    components.remove(name);
  }

  /** Every component's current status, sorted by name. */
  public Map<String, String> snapshot() {
    Map<String, String> now = new TreeMap<>();
    components.forEach((name, status) -> {
      String line;
      try {
        line = status.get();
      } catch (RuntimeException e) {
        line = "status unavailable: " + e;
      }
      now.put(name, line == null ? "" : line);
    });
    return now;
  }
}
