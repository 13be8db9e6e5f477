package org.hast.daemon.log;

import java.io.PrintStream;
import java.util.function.Supplier;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;

/**
 * pjdlog's foreground mode: {@code [LEVEL] prefix message} lines, EMERG..WARNING on stderr and
 * the rest on stdout, each flushed at once. The streams are looked up at every write (through
 * the suppliers), so a later {@code System.setOut} is honoured.
 */
final class ForegroundOutput implements LogOutput {
    private final Supplier<PrintStream> out;
    private final Supplier<PrintStream> err;

    ForegroundOutput(Supplier<PrintStream> out, Supplier<PrintStream> err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public void write(ILoggingEvent event, String prefix, int debugLevel) {
        PrintStream stream = LogLine.toStderr(LogLine.priority(event)) ? err.get() : out.get();
        // One print call per line: lines from concurrent threads never interleave mid-line.
        stream.print(LogLine.foreground(prefix, event) + "\n");
        stream.flush();
        if (LogLine.showsTrace(event, debugLevel)) {
            PrintStream trace = err.get();
            trace.print(ThrowableProxyUtil.asString(event.getThrowableProxy()) + "\n");
            trace.flush();
        }
    }
}
