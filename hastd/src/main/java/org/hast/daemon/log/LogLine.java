package org.hast.daemon.log;

import java.nio.charset.StandardCharsets;

import org.hast.util.IoErrors;
import org.slf4j.Marker;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxy;

/**
 * The text of one log event, as pjdlog builds it (spec §3.10): pure functions, no I/O, so
 * the layout is tested without touching stdout or syslog.
 *
 * <p>slf4j has five levels and pjdlog eight. ERROR, WARN and INFO map one to one; DEBUG is
 * pjdlog's debug level 1 and TRACE its debug level 2. The two pjdlog levels the daemon
 * actually needs beyond those (NOTICE, and CRIT for assertion failures) are reached through
 * the {@link HastLogging#NOTICE} and {@link HastLogging#CRIT} markers.
 */
final class LogLine {
    /** {@code <syslog.h>} priorities; identical on Linux and FreeBSD. */
    static final int LOG_CRIT = 2;
    static final int LOG_ERR = 3;
    static final int LOG_WARNING = 4;
    static final int LOG_NOTICE = 5;
    static final int LOG_INFO = 6;
    static final int LOG_DEBUG = 7;

    /** pjdlog formats a syslog line into {@code char log[1024]}: at most 1023 bytes survive. */
    static final int SYSLOG_MAX_BYTES = 1023;

    private LogLine() {
    }

    /** The syslog priority of an event (without the facility). */
    static int priority(Level level, Marker marker) {
        switch (level.toInt()) {
            case Level.ERROR_INT:
                return hasMarker(marker, HastLogging.CRIT) ? LOG_CRIT : LOG_ERR;
            case Level.WARN_INT:
                return LOG_WARNING;
            case Level.INFO_INT:
                return hasMarker(marker, HastLogging.NOTICE) ? LOG_NOTICE : LOG_INFO;
            default:
                return LOG_DEBUG;
        }
    }

    /** pjdlog's debug level of a DEBUG (1) or TRACE (2) event; 0 for the others. */
    static int debugLevel(Level level) {
        if (level.toInt() == Level.DEBUG_INT) {
            return 1;
        }
        return level.toInt() == Level.TRACE_INT ? 2 : 0;
    }

    /** True for the priorities pjdlog sends to stderr in the foreground (EMERG..WARNING). */
    static boolean toStderr(int priority) {
        return priority <= LOG_WARNING;
    }

    /** {@code [ERROR] }, {@code [DEBUG][2] }, …: the foreground tag with its trailing space. */
    static String tag(int priority, int debugLevel) {
        String name;
        switch (priority) {
            case LOG_CRIT:
                name = "[CRIT]";
                break;
            case LOG_ERR:
                name = "[ERROR]";
                break;
            case LOG_WARNING:
                name = "[WARNING]";
                break;
            case LOG_NOTICE:
                name = "[NOTICE]";
                break;
            case LOG_INFO:
                name = "[INFO]";
                break;
            case LOG_DEBUG:
                return "[DEBUG][" + debugLevel + "] ";
            default:
                throw new IllegalArgumentException("invalid syslog priority " + priority);
        }
        return name + " ";
    }

    /**
     * {@code prefix + message [+ ": " + error + "."]}, folded onto one line: the common part
     * of the foreground line and the syslog text.
     */
    static String body(String prefix, String message, IThrowableProxy error) {
        StringBuilder text = new StringBuilder(prefix.length() + 64);
        text.append(prefix);
        appendFolded(text, message == null ? "null" : message);
        if (error != null) {
            text.append(": ");
            appendFolded(text, describe(error));
            text.append('.');
        }
        return text.toString();
    }

    /** The whole foreground line, without the newline. */
    static String foreground(String prefix, ILoggingEvent event) {
        int priority = priority(event);
        return tag(priority, debugLevel(event.getLevel()))
                + body(prefix, event.getFormattedMessage(), event.getThrowableProxy());
    }

    /** The syslog text: no level tag, cut to what pjdlog's 1024-byte buffer holds. */
    static String syslog(String prefix, ILoggingEvent event) {
        return truncateUtf8(body(prefix, event.getFormattedMessage(), event.getThrowableProxy()),
                SYSLOG_MAX_BYTES);
    }

    /**
     * What follows the colon: the strerror text for the I/O exceptions that have one (the
     * reference prints {@code strerror(errno)} there), else the exception's own message, else
     * its class name.
     */
    static String describe(IThrowableProxy error) {
        if (error instanceof ThrowableProxy) {
            Throwable throwable = ((ThrowableProxy) error).getThrowable();
            if (throwable instanceof Exception) {
                return IoErrors.describe((Exception) throwable);
            }
        }
        String message = error.getMessage();
        if (message != null) {
            return message;
        }
        String className = error.getClassName();
        return className.substring(className.lastIndexOf('.') + 1);
    }

    /** Appends {@code text} with every line break (CR, LF or CRLF) turned into one space. */
    static void appendFolded(StringBuilder out, String text) {
        int length = text.length();
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            if (c == '\r') {
                out.append(' ');
                if (i + 1 < length && text.charAt(i + 1) == '\n') {
                    i++;
                }
            } else if (c == '\n') {
                out.append(' ');
            } else {
                out.append(c);
            }
        }
    }

    /**
     * Whether the stack trace of {@code event}'s throwable is written after its line: from
     * debug level 2, and always for CRIT (a dying thread, docs/failure-policy.md: the process
     * is about to halt and the trace is the only clue left).
     */
    static boolean showsTrace(ILoggingEvent event, int debugLevel) {
        return event.getThrowableProxy() != null && (debugLevel >= 2 || priority(event) == LOG_CRIT);
    }

    /** The syslog priority of the trace lines: CRIT keeps its own, others go out as debug. */
    static int tracePriority(ILoggingEvent event) {
        return priority(event) == LOG_CRIT ? LOG_CRIT : LOG_DEBUG;
    }

    /** The longest prefix of {@code text} whose UTF-8 form fits in {@code maxBytes}. */
    static String truncateUtf8(String text, int maxBytes) {
        if (text.length() * 3 <= maxBytes) {
            return text;
        }
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= maxBytes) {
            return text;
        }
        int end = maxBytes;
        // Never cut inside a multi-byte sequence: back up to the start of the code point.
        while (end > 0 && (bytes[end] & 0xC0) == 0x80) {
            end--;
        }
        return new String(bytes, 0, end, StandardCharsets.UTF_8);
    }

    /** The priority of an event, honouring a CRIT or NOTICE marker among its markers. */
    static int priority(ILoggingEvent event) {
        var markers = event.getMarkerList();
        if (markers != null) {
            for (Marker marker : markers) {
                int priority = priority(event.getLevel(), marker);
                if (priority == LOG_CRIT || priority == LOG_NOTICE) {
                    return priority;
                }
            }
        }
        return priority(event.getLevel(), null);
    }

    /**
     * Compared by name, so {@code MarkerFactory.getMarker("NOTICE")} works too. Marker
     * references are not followed (slf4j 2 deprecates them; an event carries a marker list).
     */
    private static boolean hasMarker(Marker marker, Marker wanted) {
        return marker != null && marker.getName().equals(wanted.getName());
    }
}
