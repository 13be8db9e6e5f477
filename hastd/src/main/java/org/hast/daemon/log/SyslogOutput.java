package org.hast.daemon.log;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;

/**
 * pjdlog's syslog mode: the foreground text without the level tag, at the matching priority.
 * A daemonised hastd has stderr on /dev/null, so at debug level 2 or more a stack trace is
 * sent to syslog too, one LOG_DEBUG record per line; a CRIT event's trace always is, at
 * LOG_CRIT (a thread that died, the last words of the process).
 */
final class SyslogOutput implements LogOutput {
    private final SyslogSink sink;

    SyslogOutput(SyslogSink sink) {
        this.sink = sink;
    }

    @Override
    public void write(ILoggingEvent event, String prefix, int debugLevel) {
        sink.send(LogLine.priority(event), LogLine.syslog(prefix, event));
        if (LogLine.showsTrace(event, debugLevel)) {
            int priority = LogLine.tracePriority(event);
            ThrowableProxyUtil.asString(event.getThrowableProxy()).lines().forEach(line -> sink.send(priority,
                    LogLine.truncateUtf8(prefix + line.replace('\t', ' '), LogLine.SYSLOG_MAX_BYTES)));
        }
    }

    @Override
    public void open() {
        sink.open();
    }

    @Override
    public void close() {
        sink.close();
    }
}
