package io.outpost.agent.devices;

import java.util.List;
import java.util.Optional;

/**
 * Which MQTT topics go up to the hub and where desired state comes down. Each up filter has exactly
 * one {@code +} level, the device id (for example {@code devices/+/telemetry}); the desired topic
 * template has {@code {id}} in its place ({@code devices/{id}/desired}).
 */
public final class TopicRules {

  /** A topic that matched an up filter: the device it came from. */
  public record Match(String device, String filter) {}

  private final List<String[]> filters;
  private final List<String> filterTexts;
  private final String desiredTemplate;

  public TopicRules(List<String> upFilters, String desiredTemplate) {
    if (upFilters.isEmpty()) {
      throw new IllegalArgumentException("up topics: none given (expected at least one filter such as devices/+/telemetry)");
    }
    for (String filter : upFilters) {
      long plus = filter.chars().filter(c -> c == '+').count();
      if (plus != 1 || filter.contains("#") || !List.of(filter.split("/", -1)).contains("+")) {
        throw new IllegalArgumentException("up topic \"" + filter + "\": expected exactly one '+' level naming the"
            + " device and no '#', e.g. devices/+/telemetry");
      }
    }
    if (!desiredTemplate.contains("{id}") || desiredTemplate.contains("+") || desiredTemplate.contains("#")) {
      throw new IllegalArgumentException("desired topic \"" + desiredTemplate + "\": expected {id} for the device"
          + " and no wildcards, e.g. devices/{id}/desired");
    }
    this.filterTexts = List.copyOf(upFilters);
    this.filters = upFilters.stream().map(f -> f.split("/", -1)).toList();
    this.desiredTemplate = desiredTemplate;
  }

  public List<String> upFilters() {
    return filterTexts;
  }

  /** The device named by {@code topic}, if the topic matches an up filter (the id is not checked here). */
  public Optional<Match> match(String topic) {
    String[] levels = topic.split("/", -1);
    for (int f = 0; f < filters.size(); f++) {
      String[] filter = filters.get(f);
      if (filter.length != levels.length) {
        continue;
      }
      String device = null;
      boolean matches = true;
      for (int i = 0; i < levels.length && matches; i++) {
        if (filter[i].equals("+")) {
          device = levels[i];
        } else {
          matches = filter[i].equals(levels[i]);
        }
      }
      if (matches) {
        return Optional.of(new Match(device, filterTexts.get(f)));
      }
    }
    return Optional.empty();
  }

  public String desiredTopic(String device) {
    return desiredTemplate.replace("{id}", device);
  }
}
