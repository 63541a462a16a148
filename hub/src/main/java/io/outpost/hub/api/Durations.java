package io.outpost.hub.api;

import java.time.Duration;

/** Parses the short durations operators type: {@code 90s}, {@code 30m}, {@code 24h}, {@code 7d}, or ISO-8601. */
public final class Durations {

  private Durations() {}

  public static Duration parse(String text) {
    String t = text.trim();
    if (t.startsWith("P") || t.startsWith("p")) {
      return Duration.parse(t);
    }
    if (t.length() < 2) {
      throw new IllegalArgumentException("duration: " + text + " (expected: e.g. 30m, 24h, 7d)");
    }
    long n = Long.parseLong(t.substring(0, t.length() - 1));
    return switch (Character.toLowerCase(t.charAt(t.length() - 1))) {
      case 's' -> Duration.ofSeconds(n);
      case 'm' -> Duration.ofMinutes(n);
      case 'h' -> Duration.ofHours(n);
      case 'd' -> Duration.ofDays(n);
      default -> throw new IllegalArgumentException("duration: " + text + " (expected: e.g. 30m, 24h, 7d)");
    };
  }
}
