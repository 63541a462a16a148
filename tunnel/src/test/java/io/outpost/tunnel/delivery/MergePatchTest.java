package io.outpost.tunnel.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MergePatchTest {

  static Map<String, Object> nulls(String key) {
    Map<String, Object> m = new HashMap<>();
    m.put(key, null);
    return m;
  }

  @Test
  void applyFollowsRfc7386() {
    Map<String, Object> target = Map.of("a", "b", "c", Map.of("d", "e", "f", "g"), "l", List.of(1, 2));
    Map<String, Object> patch = new HashMap<>(Map.of("a", "z", "c", nulls("f"), "l", List.of(3)));
    assertEquals(Map.of("a", "z", "c", Map.of("d", "e"), "l", List.of(3)), MergePatch.apply(target, patch));
  }

  @Test
  void diffRemovesWhatIsGoneAndSetsWhatChanged() {
    Map<String, Object> from = Map.of("keep", 1, "gone", 2, "nested", Map.of("x", 1, "y", 2));
    Map<String, Object> to = Map.of("keep", 1, "new", 3, "nested", Map.of("x", 5, "y", 2));
    Map<String, Object> expected = new HashMap<>(Map.of("new", 3, "nested", Map.of("x", 5)));
    expected.put("gone", null);
    assertEquals(expected, MergePatch.diff(from, to));
    assertEquals(to, MergePatch.apply(from, MergePatch.diff(from, to)));
  }

  @Test
  void onlyOurFieldsCountAsDrift() {
    Map<String, Object> desired = Map.of("data", Map.of("a", "1", "n", 2));
    Map<String, Object> live = Map.of("data", Map.of("a", "changed", "n", 2L, "theirs", "x"), "status", Map.of());
    assertEquals(List.of("data.a"), MergePatch.differingFields(desired, live, ""));
  }
}
