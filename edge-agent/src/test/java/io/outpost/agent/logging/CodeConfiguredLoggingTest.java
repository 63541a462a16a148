package io.outpost.agent.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.ConsoleAppender;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link CodeConfiguredLogging}: only with {@code -Doutpost.logging=code} and no
 * {@code -Dlogback.configurationFile}; then the lines are those
 * of the agent's {@code logback.xml} pattern, {@code io.outpost} logs at INFO (or
 * {@code OUTPOST_LOG}), everything else at WARN, on stderr.
 */
class CodeConfiguredLoggingTest {

  private static final String XML_PATTERN = "%d{HH:mm:ss.SSS} %-5level %logger{20} - %msg%n";

  @AfterEach
  void restore() {
    System.clearProperty(CodeConfiguredLogging.SELECT_PROPERTY);
    System.clearProperty("OUTPOST_LOG");
    System.clearProperty(CodeConfiguredLogging.LOGBACK_FILE_PROPERTY);
  }

  private static LoggerContext configured() {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new LogbackMDCAdapter()); // what SLF4J's logback provider sets on its context
    CodeConfiguredLogging configurator = new CodeConfiguredLogging();
    configurator.setContext(context);
    assertEquals(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY, configurator.configure(context));
    return context;
  }

  /** The STDERR appender's stream (logback binds System.err once per JVM, so it cannot be swapped). */
  @SuppressWarnings("unchecked")
  private static ByteArrayOutputStream capture(LoggerContext context) {
    ConsoleAppender<ILoggingEvent> appender =
        (ConsoleAppender<ILoggingEvent>) context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR");
    assertEquals("System.err", appender.getTarget());
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    appender.setOutputStream(captured);
    return captured;
  }

  /** Asserts the configurator leaves the context alone and lets logback's next configurator run. */
  private static void assertStepsAside() {
    LoggerContext context = new LoggerContext();
    CodeConfiguredLogging configurator = new CodeConfiguredLogging();
    configurator.setContext(context);

    assertEquals(ExecutionStatus.INVOKE_NEXT_IF_ANY, configurator.configure(context));
    assertFalse(context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders().hasNext());
  }

  @Test
  void givenNoSelection_whenConfigured_thenItStepsAsideForLogbackXml() {
    assertStepsAside();
  }

  @Test
  void givenSelectedButALogbackFileNamed_whenConfigured_thenTheFileWins() {
    System.setProperty(CodeConfiguredLogging.SELECT_PROPERTY, "code");
    System.setProperty(CodeConfiguredLogging.LOGBACK_FILE_PROPERTY, "/etc/outpost/logback.xml");

    assertStepsAside();
  }

  @Test
  void givenSelected_whenOutpostAndOtherLoggersLog_thenOutpostInfoAndOthersWarnReachStderr() {
    System.setProperty(CodeConfiguredLogging.SELECT_PROPERTY, "code");
    LoggerContext context = configured();
    ByteArrayOutputStream captured = capture(context);

    context.getLogger("io.outpost.agent.nodeproxy.NodeProxy").info("node proxy listening");
    context.getLogger("io.outpost.agent.nodeproxy.NodeProxy").debug("not shown");
    context.getLogger("io.netty.channel.Noisy").info("not shown either");
    context.getLogger("io.netty.channel.Noisy").warn("a warning");

    String[] lines = captured.toString(StandardCharsets.UTF_8).split(System.lineSeparator());
    assertEquals(2, lines.length, captured.toString(StandardCharsets.UTF_8));
    assertTrue(lines[0].matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  i\\.o\\.a\\.n\\.NodeProxy - node proxy listening"),
        lines[0]);
    assertTrue(lines[1].matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} WARN  i\\.n\\.channel\\.Noisy - a warning"), lines[1]);
  }

  @Test
  void givenOutpostLogDebug_whenConfigured_thenOutpostDebugIsShown() {
    System.setProperty(CodeConfiguredLogging.SELECT_PROPERTY, "code");
    System.setProperty("OUTPOST_LOG", "DEBUG");

    assertEquals(Level.DEBUG, configured().getLogger("io.outpost").getLevel());
  }

  @Test
  void givenAnEventWithAnException_whenLaidOut_thenTheLineAndTraceAreThoseOfTheXmlPattern() {
    LoggerContext context = new LoggerContext();
    PatternLayout xml = new PatternLayout();
    xml.setContext(context);
    xml.setPattern(XML_PATTERN);
    xml.start();
    LineLayout line = new LineLayout();
    line.setContext(context);
    line.start();
    Logger logger = context.getLogger("io.outpost.cache.store.DurableStore");

    for (Level level : new Level[] {Level.ERROR, Level.WARN, Level.INFO, Level.DEBUG}) {
      LoggingEvent event = new LoggingEvent(Logger.class.getName(), logger, level, "cache {} cannot be opened",
          new IllegalStateException("disk full", new java.io.IOException("ENOSPC")), new Object[] {"objects.db"});
      assertEquals(xml.doLayout(event), line.doLayout(event));
    }
  }
}
