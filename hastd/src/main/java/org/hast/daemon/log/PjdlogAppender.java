package org.hast.daemon.log;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;

/**
 * The one appender on the root logger. Switching between foreground and syslog swaps its
 * output instead of the appender, so no event is lost or doubled while the daemon changes
 * mode. {@link AppenderBase} serialises appends, which keeps lines whole.
 */
final class PjdlogAppender extends AppenderBase<ILoggingEvent> {
    static final String NAME = "hastd";

    private volatile LogOutput output;
    private volatile int debugLevel;

    PjdlogAppender(LogOutput output, int debugLevel) {
        this.output = output;
        this.debugLevel = debugLevel;
        setName(NAME);
    }

    /**
     * Closes the current output, opens {@code next} and makes it current. Synchronised like
     * {@code doAppend}, so no event is written between the two, nor through a closed output
     * (closing first matters when both are syslog: closelog, then openlog again).
     */
    synchronized void swap(LogOutput next) {
        if (next == output) {
            return;
        }
        output.close();
        next.open();
        output = next;
    }

    LogOutput output() {
        return output;
    }

    void setDebugLevel(int debugLevel) {
        this.debugLevel = debugLevel;
    }

    @Override
    protected void append(ILoggingEvent event) {
        output.write(event, HastLogging.prefix(), debugLevel);
    }
}
