package io.outpost.cache;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * The WARN lines one class logs during a test, for asserting the message an operator sees:
 * {@code attach()} in a {@code @BeforeEach}, {@code detach()} in an {@code @AfterEach}.
 */
public final class WarningLog {

    private final Logger logger;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    public WarningLog(Class<?> source) {
        this.logger = (Logger) LoggerFactory.getLogger(source);
    }

    public void attach() {
        appender.start();
        logger.addAppender(appender);
    }

    public void detach() {
        logger.detachAppender(appender);
    }

    /** The formatted WARN messages so far, oldest first. */
    public List<String> warnings() {
        return appender.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage)
                .toList();
    }
}
