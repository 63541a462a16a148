package io.outpost.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.outpost.agent.nodeproxy.NodeProxySettings;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code --max-recorded-body}: its default follows the heap, a given size wins, a size past 2 GiB is refused. */
class NodeProxyCommandTest {

  private static NodeProxySettings settings(String... args) {
    NodeProxyCommand command = new NodeProxyCommand();
    new CommandLine(command).parseArgs(args);
    return command.settings();
  }

  @Test
  void givenNoMaxRecordedBody_whenSettingsAreBuilt_thenTheCapIsASixteenthOfTheHeapWithinOneAnd64MiB() {
    long expected = Math.max(1 << 20, Math.min(64 << 20, Runtime.getRuntime().maxMemory() / 16));
    assertEquals(expected, settings().maxRecordedBodyBytes());
    assertEquals(NodeProxySettings.defaultMaxRecordedBodyBytes(), settings().maxRecordedBodyBytes());
  }

  @Test
  void givenMaxRecordedBody_whenSettingsAreBuilt_thenItIsTheCap() {
    assertEquals(2 << 20, settings("--max-recorded-body", "2Mi").maxRecordedBodyBytes());
  }

  @Test
  void givenMaxRecordedBodyOf3Gi_whenSettingsAreBuilt_thenTheErrorNamesTheFlagAndTheLimit() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> settings("--max-recorded-body", "3Gi"));
    assertEquals("--max-recorded-body 3221225472 bytes: expected at most 2147483647 (2Gi - 1)", e.getMessage());
  }
}
