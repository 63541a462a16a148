package io.outpost.agent.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * Logback configured in code, for the node proxy: the same output as {@code logback.xml} (stderr,
 * {@code HH:mm:ss.SSS LEVEL logger - message}, {@code io.outpost} at {@code $OUTPOST_LOG} or INFO,
 * everything else at WARN) without logback's XML configurator, which loads ~500 classes (Joran,
 * its model and SAX; ~4 MiB of class metadata) into a process that runs on every edge node.
 *
 * <p>logback finds this class through {@code META-INF/services} in every JVM that has the agent on
 * its class path, so it only acts when asked: the node proxy's launchers pass
 * {@value #SELECT_PROPERTY}{@code =code}; otherwise, and whenever {@code -Dlogback.configurationFile}
 * names a file, it steps aside and logback reads its XML as before.
 *
 * <pre>
 * java -Doutpost.logging=code -cp ... io.outpost.agent.cli.AgentMain agent node-proxy ...
 * </pre>
 */
public final class CodeConfiguredLogging extends ContextAwareBase implements Configurator {

  /** The system property that selects this configuration (value {@code code}). */
  public static final String SELECT_PROPERTY = "outpost.logging";
  /** logback's own property naming a configuration file; when set, this configuration steps aside. */
  static final String LOGBACK_FILE_PROPERTY = "logback.configurationFile";

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    // A configuration file named explicitly is the operator's choice: it wins.
    if (!"code".equals(System.getProperty(SELECT_PROPERTY)) || System.getProperty(LOGBACK_FILE_PROPERTY) != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    LineLayout layout = new LineLayout();
    layout.setContext(context);
    layout.start();
    LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
    encoder.setContext(context);
    encoder.setLayout(layout);
    encoder.start();
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(context);
    stderr.setName("STDERR");
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder);
    stderr.start();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.WARN);
    root.addAppender(stderr);
    // As logback.xml's ${OUTPOST_LOG:-INFO}: a system property first, then the environment.
    String level = System.getProperty("OUTPOST_LOG", System.getenv("OUTPOST_LOG"));
    context.getLogger("io.outpost").setLevel(Level.toLevel(level, Level.INFO));
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }
}
