package io.outpost.cache.queue;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.outpost.cache.store.DurableStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DurableQueueTest {

  @TempDir Path dir;

  @Test
  void entriesComeOutInOrderAndSurviveReopenUntilRemoved() {
    try (DurableStore store = DurableStore.open(dir.resolve("q.db"))) {
      DurableQueue queue = new DurableQueue(store, "up", 1 << 20);
      List<Long> positions = queue.appendAll(values("a"), s -> { });
      queue.appendAll(values("b", "c"), s -> s.map("side").put("k", bytes("v")));
      queue.removeAll(positions);
    }
    try (DurableStore store = DurableStore.open(dir.resolve("q.db"))) {
      DurableQueue queue = new DurableQueue(store, "up", 1 << 20);
      assertEquals(List.of("b", "c"), strings(queue.read(0, 10, 1 << 20)));
      assertEquals("v", new String(store.map("side").get("k").orElseThrow(), UTF_8), "the side write shares the commit");
      List<Long> next = queue.appendAll(values("d"), s -> { });
      assertEquals(4L, next.get(0), "positions are never reused, even after a reopen");
      assertEquals(List.of("c", "d"), strings(queue.read(2, 10, 1 << 20)));
    }
  }

  @Test
  void aBatchLeavesTheStoreWhenAllItsEntriesAreRemovedAndComesBackWholeOtherwise() {
    try (DurableStore store = DurableStore.open(dir.resolve("q.db"))) {
      DurableQueue queue = new DurableQueue(store, "up", 1 << 20);
      List<Long> first = queue.appendAll(values("a", "b"), s -> { });
      List<Long> second = queue.appendAll(values("c", "d"), s -> { });
      queue.removeAll(first);
      queue.removeAll(List.of(second.get(0)));
      assertEquals(List.of("d"), strings(queue.read(0, 10, 100)));
      assertEquals(1, queue.size());
    }
    try (DurableStore store = DurableStore.open(dir.resolve("q.db"))) {
      DurableQueue queue = new DurableQueue(store, "up", 1 << 20);
      assertEquals(List.of("c", "d"), strings(queue.read(0, 10, 100)),
          "at least once: a partly confirmed batch is delivered again after a restart");
    }
  }

  @Test
  void readStopsAtTheCountAndByteLimitsButReturnsAtLeastOneEntry() {
    try (DurableStore store = DurableStore.open(dir.resolve("q.db"))) {
      DurableQueue queue = new DurableQueue(store, "up", 1 << 20);
      queue.appendAll(values("aaaa", "bbbb", "cccc"), s -> { });
      assertEquals(List.of("aaaa", "bbbb"), strings(queue.read(0, 2, 1 << 20)));
      assertEquals(List.of("aaaa", "bbbb"), strings(queue.read(0, 10, 9)));
      assertEquals(List.of("aaaa"), strings(queue.read(0, 10, 1)));
    }
  }

  @Test
  void aFullQueueDropsItsOldestEntriesAndCountsThem() {
    try (DurableStore store = DurableStore.open(dir.resolve("q.db"))) {
      DurableQueue queue = new DurableQueue(store, "up", 10);
      queue.appendAll(values("0000", "1111"), s -> { });
      queue.appendAll(values("2222", "3333"), s -> { });
      assertEquals(List.of("2222", "3333"), strings(queue.read(0, 10, 100)));
      assertEquals(2, queue.dropped());
      assertEquals(8, queue.bytes());
      assertEquals(2, queue.size());
    }
    try (DurableStore store = DurableStore.open(dir.resolve("q.db"))) {
      assertEquals(2, new DurableQueue(store, "up", 10).dropped(), "the drop counter is durable");
    }
  }

  @Test
  void whatTheOverflowDropsIsHandedOverInTheSameCommit() {
    try (DurableStore store = DurableStore.open(dir.resolve("q.db"))) {
      DurableQueue queue = new DurableQueue(store, "up", 12);
      List<Long> first = queue.appendAll(values("0000", "1111"), s -> { });
      queue.removeAll(List.of(first.get(0)));
      List<String> told = new ArrayList<>();
      queue.appendAll(values("2222", "3333"), s -> { }, lost -> {
        lost.forEach(v -> told.add(new String(v, UTF_8)));
        store.map("lost").put("last", lost.get(lost.size() - 1));
      });
      assertEquals(List.of("1111"), told, "only the entry not yet removed was lost");
    }
    try (DurableStore store = DurableStore.open(dir.resolve("q.db"))) {
      assertEquals("1111", new String(store.map("lost").get("last").orElseThrow(), UTF_8),
          "what the caller recorded about the loss was committed with it");
    }
  }

  @Test
  void anEntryLargerThanTheWholeBudgetIsRefusedWithItsSize() {
    try (DurableStore store = DurableStore.open(dir.resolve("q.db"))) {
      DurableQueue queue = new DurableQueue(store, "up", 10);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> queue.appendAll(values("01234567890"), s -> { }));
      assertEquals("queue entries of 11 bytes: larger than the queue's whole budget of 10 bytes", e.getMessage());
      assertEquals(0, queue.size());
    }
  }

  @Test
  void aFailedTransactionAppendsNothing() {
    try (DurableStore store = DurableStore.open(dir.resolve("q.db"))) {
      DurableQueue queue = new DurableQueue(store, "up", 1 << 20);
      assertThrows(IllegalStateException.class, () -> queue.appendAll(values("a"), s -> {
        throw new IllegalStateException("side write failed");
      }));
      assertEquals(0, queue.size());
      assertTrue(queue.read(0, 10, 100).isEmpty());
    }
  }

  @Test
  void aThousandEntriesAppendedTogetherKeepTheirOrder() {
    try (DurableStore store = DurableStore.open(dir.resolve("q.db"))) {
      DurableQueue queue = new DurableQueue(store, "up", 1 << 24);
      List<byte[]> batch = IntStream.range(0, 1000).mapToObj(i -> bytes("m" + i)).toList();
      queue.appendAll(batch, s -> { });
      assertEquals(1000, queue.size());
      assertEquals("m999", strings(queue.read(999, 1, 100)).get(0));
    }
  }

  private static List<byte[]> values(String... s) {
    return java.util.Arrays.stream(s).map(DurableQueueTest::bytes).toList();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }

  private static List<String> strings(List<DurableQueue.Entry> entries) {
    return entries.stream().map(e -> new String(e.value(), UTF_8)).toList();
  }
}
