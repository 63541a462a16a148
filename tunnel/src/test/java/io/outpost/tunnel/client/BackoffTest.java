package io.outpost.tunnel.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class BackoffTest {

  private final Backoff backoff = new Backoff(Duration.ofMillis(250), Duration.ofSeconds(30),
      RandomGenerator.of("L64X128MixRandom"));

  @Test
  void theCeilingDoublesFromTheBaseUntilTheCap() {
    assertEquals(250, backoff.ceilingMillis(0));
    assertEquals(500, backoff.ceilingMillis(1));
    assertEquals(16_000, backoff.ceilingMillis(6));
    assertEquals(30_000, backoff.ceilingMillis(7));
    assertEquals(30_000, backoff.ceilingMillis(1_000));
  }

  @Test
  void delaysStayWithinTheirCeilingAndSpreadOverIt() {
    long max = 0;
    long min = Long.MAX_VALUE;
    for (int i = 0; i < 10_000; i++) {
      long d = backoff.delay(10).toMillis();
      assertTrue(d >= 0 && d <= 30_000, "delay " + d);
      max = Math.max(max, d);
      min = Math.min(min, d);
    }
    // Full jitter: a thousand agents that lost the hub together do not come back together.
    assertTrue(min < 1_000 && max > 29_000, "spread " + min + ".." + max);
  }

  @Test
  void aThousandAgentsReconnectingAtTheCapAreSpreadOverTheWindow() {
    Backoff shared = new Backoff(Duration.ofMillis(250), Duration.ofSeconds(30), new SplittableRandom(7));
    int[] perSecond = new int[31];
    for (int agent = 0; agent < 1_000; agent++) {
      perSecond[(int) (shared.delay(20).toMillis() / 1000)]++;
    }
    for (int second = 0; second < 30; second++) {
      assertTrue(perSecond[second] < 70, "second " + second + " got " + perSecond[second] + " agents");
    }
  }

  @Test
  void invalidSettingsAreRefusedWithTheExpectedRange() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Backoff(Duration.ZERO, Duration.ofSeconds(1), RandomGenerator.getDefault()));
    assertTrue(e.getMessage().contains("expected: > 0"));
    e = assertThrows(IllegalArgumentException.class,
        () -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), RandomGenerator.getDefault()));
    assertTrue(e.getMessage().contains("expected: >= base"));
  }
}
