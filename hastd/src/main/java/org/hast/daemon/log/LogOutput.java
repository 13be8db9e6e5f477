package org.hast.daemon.log;

import ch.qos.logback.classic.spi.ILoggingEvent;

/** One way of rendering events: pjdlog's foreground lines or its syslog text. */
interface LogOutput {
    /**
     * Writes one event that passed the level filter. {@code debugLevel} is the daemon's
     * current {@code -d} count; at 2 or more an attached exception's stack trace follows.
     */
    void write(ILoggingEvent event, String prefix, int debugLevel);

    /** Acquires what the output needs (the syslog connection); the default needs nothing. */
    default void open() {
    }

    /** Releases what {@link #open} acquired. */
    default void close() {
    }
}
