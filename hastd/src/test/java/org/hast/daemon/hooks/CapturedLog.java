package org.hast.daemon.hooks;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;

/**
 * Records what one logger says, as {@code LEVEL message} strings, from any thread (hook exits
 * are logged by the JDK's threads). Attach in {@code @BeforeEach}, detach in {@code @AfterEach}.
 */
final class CapturedLog extends AppenderBase<ILoggingEvent> implements AutoCloseable {
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Logger logger;
    private final Level previousLevel;
    private final boolean previousAdditive;

    CapturedLog(Class<?> source) {
        logger = (Logger) LoggerFactory.getLogger(source);
        previousLevel = logger.getLevel();
        setContext(logger.getLoggerContext());
        start();
        logger.addAppender(this);
        logger.setLevel(Level.TRACE);
        // Kept out of the console: the root logger would print every line at TRACE.
        previousAdditive = logger.isAdditive();
        logger.setAdditive(false);
    }

    @Override
    protected void append(ILoggingEvent event) {
        lines.add(event.getLevel() + " " + event.getFormattedMessage());
    }

    List<String> lines() {
        return List.copyOf(lines);
    }

    /** Waits until some line matches; returns it, or fails with everything seen so far. */
    String await(Predicate<String> wanted, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            for (String line : lines) {
                if (wanted.test(line)) {
                    return line;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no matching log line within " + limit + "; got " + lines);
            }
            Thread.sleep(10);
        }
    }

    /** Waits until {@code count} lines match. */
    List<String> awaitCount(Predicate<String> wanted, int count, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            List<String> matching = lines.stream().filter(wanted).toList();
            if (matching.size() >= count) {
                return matching;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + matching.size() + " of " + count + " lines within " + limit
                        + "; got " + lines);
            }
            Thread.sleep(10);
        }
    }

    @Override
    public void close() {
        logger.detachAppender(this);
        logger.setLevel(previousLevel);
        logger.setAdditive(previousAdditive);
        stop();
    }
}
