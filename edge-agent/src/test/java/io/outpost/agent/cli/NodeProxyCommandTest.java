package io.outpost.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.outpost.agent.nodeproxy.NodeProxySettings;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code --max-recorded-body}: its default follows the heap, a given size wins, a size past 2 GiB is
 * refused. {@code --cache-memory}: 4 MiB of hot JSON unless given, 0 turns it off.
 */
class NodeProxyCommandTest {

  private static NodeProxySettings settings(String... args) {
    return parse(args).settings();
  }

  private static NodeProxyCommand parse(String... args) {
    NodeProxyCommand command = new NodeProxyCommand();
    new CommandLine(command).parseArgs(args);
    return command;
  }

  @Test
  void givenNoCacheMemory_whenTheBudgetIsBuilt_thenFourMiBOfJsonStayInMemory() {
    assertEquals(4 << 20, parse().budget().memoryBytes());
  }

  @Test
  void givenCacheMemory_whenTheBudgetIsBuilt_thenItIsTheHotJsonSizeAndZeroTurnsItOff() {
    assertEquals(16 << 20, parse("--cache-memory", "16Mi").budget().memoryBytes());
    assertEquals(0, parse("--cache-memory", "0").budget().memoryBytes());
  }

  @Test
  void givenCacheMemoryThatIsNoSize_whenParsed_thenTheErrorNamesTheValueAndTheExpectedForm() {
    CommandLine.ParameterException e = assertThrows(CommandLine.ParameterException.class,
        () -> parse("--cache-memory", "lots"));
    assertEquals("Invalid value for option '--cache-memory': size \"lots\" is not a number of bytes"
        + " (expected e.g. 134217728, 512Ki, 128Mi, 1Gi)", e.getMessage());
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
