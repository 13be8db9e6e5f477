package org.hast.daemon.log;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Iterator;
import java.util.Locale;

import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;
import org.slf4j.helpers.BasicMarkerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;

/**
 * Where and how much hastd logs (spec §3.10), the counterpart of pjdlog's {@code mode_set},
 * {@code debug_set} and {@code prefix_set}. Code logs through plain slf4j loggers; this class
 * only decides the destination (foreground streams or syslog), the debug level and the
 * process-wide prefix.
 *
 * <p>Levels: slf4j ERROR, WARN and INFO are pjdlog's ERROR, WARNING and INFO; DEBUG is
 * {@code pjdlog_debug(1, …)} and TRACE {@code pjdlog_debug(2, …)}. Debug level 0 shows INFO
 * and above, 1 adds DEBUG, 2 and more add TRACE. Loggers outside {@code org.hast} (Netty, jnr)
 * stay at INFO unless the debug level is 3 or more, so {@code -dd} does not drown the daemon's
 * own messages in library chatter.
 */
public final class HastLogging {
    /** On an INFO event: pjdlog's NOTICE ({@code [NOTICE]}, {@code LOG_NOTICE}). */
    public static final Marker NOTICE;
    /** On an ERROR event: pjdlog's CRIT, used by assertion failures ({@code LOG_CRIT}). */
    public static final Marker CRIT;

    static {
        // Not MarkerFactory: it would initialise slf4j, whose configurator calls back here.
        BasicMarkerFactory markers = new BasicMarkerFactory();
        NOTICE = markers.getMarker("NOTICE");
        CRIT = markers.getMarker("CRIT");
    }

    /** pjdlog keeps the prefix in {@code char[128]}. */
    static final int PREFIX_MAX_CHARS = 127;

    private static final String OUR_LOGGERS = "org.hast";

    private static final Object LOCK = new Object();
    private static volatile String prefix = "";
    /** Guarded by LOCK; the appender is created once, by the first configuration. */
    private static PjdlogAppender appender;
    private static int debugLevel;
    private static boolean syslog;

    private HastLogging() {
    }

    /** Foreground mode on the current {@code System.out} / {@code System.err}. */
    public static void configureForeground(int debugLevel) {
        configure(new ForegroundOutput(() -> System.out, () -> System.err), debugLevel, false);
    }

    /** Foreground mode on the given streams (tests, or a caller that captures output). */
    public static void configureForeground(int debugLevel, PrintStream out, PrintStream err) {
        configure(new ForegroundOutput(() -> out, () -> err), debugLevel, false);
    }

    /**
     * Syslog mode through libc ({@code openlog("hastd", LOG_PID|LOG_NDELAY, LOG_DAEMON)}).
     * When the log socket does not exist libc drops every message silently; one warning on
     * stderr says so. When libc cannot be bound at all, logging stays in the foreground on
     * stderr, with a warning.
     */
    public static void configureSyslog(int debugLevel) {
        SyslogSink sink;
        try {
            sink = NativeSyslog.get();
        } catch (LinkageError | RuntimeException e) {
            configure(new ForegroundOutput(() -> System.err, () -> System.err), debugLevel, false);
            LoggerFactory.getLogger(HastLogging.class).warn("Unable to use syslog, logging to stderr", e);
            return;
        }
        configureSyslog(debugLevel, sink, syslogSocket(), System.err);
    }

    /** Syslog mode with an explicit sink and socket path, for tests. */
    static void configureSyslog(int debugLevel, SyslogSink sink, Path socket, PrintStream warnings) {
        configure(new SyslogOutput(sink), debugLevel, true);
        if (!Files.exists(socket)) {
            warnings.print(LogLine.tag(LogLine.LOG_WARNING, 0) + prefix + "Syslog socket " + socket
                    + " does not exist, log messages will be lost.\n");
            warnings.flush();
        }
    }

    /** The log socket libc's syslog(3) writes to ({@code _PATH_LOG}). */
    static Path syslogSocket() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        return Paths.get(os.contains("freebsd") ? "/var/run/log" : "/dev/log");
    }

    /**
     * The text put before every message, e.g. {@code [shared] (primary) } in a worker; ""
     * for none. Like pjdlog, at most 127 characters are kept.
     */
    public static void setPrefix(String newPrefix) {
        String value = newPrefix == null ? "" : newPrefix;
        prefix = value.length() > PREFIX_MAX_CHARS ? value.substring(0, PREFIX_MAX_CHARS) : value;
    }

    public static String prefix() {
        return prefix;
    }

    /** A worker's prefix (spec §3.7): {@code [<resource>] (<role>) }. */
    public static String workerPrefix(String resource, String role) {
        return "[" + resource + "] (" + role + ") ";
    }

    /** Changes the debug level without touching the destination (SIGHUP reload). */
    public static void setDebugLevel(int newDebugLevel) {
        checkDebugLevel(newDebugLevel);
        LoggerContext context = context();
        synchronized (LOCK) {
            install(context);
            applyLevels(context, newDebugLevel);
        }
    }

    public static int debugLevel() {
        synchronized (LOCK) {
            return debugLevel;
        }
    }

    /** True while logging goes to syslog. */
    public static boolean isSyslog() {
        synchronized (LOCK) {
            return syslog;
        }
    }

    /** The slf4j level that shows exactly what {@code -d} given {@code debugLevel} times shows. */
    static Level levelFor(int debugLevel) {
        if (debugLevel == 0) {
            return Level.INFO;
        }
        return debugLevel == 1 ? Level.DEBUG : Level.TRACE;
    }

    /**
     * Called by {@link HastLogConfigurator} when slf4j initialises: foreground, debug level 0,
     * so a log call made before {@code main} configures anything already has our format.
     */
    static void installDefault(LoggerContext context) {
        synchronized (LOCK) {
            install(context);
            applyLevels(context, debugLevel);
        }
    }

    private static void configure(LogOutput output, int newDebugLevel, boolean toSyslog) {
        checkDebugLevel(newDebugLevel);
        // Fetched before taking LOCK: slf4j's first initialisation calls installDefault, and
        // another thread may be inside it already (lock order: slf4j, then LOCK).
        LoggerContext context = context();
        synchronized (LOCK) {
            install(context);
            appender.swap(output);
            applyLevels(context, newDebugLevel);
            syslog = toSyslog;
        }
    }

    /** Makes our appender the root logger's only one (also undoing any default console setup). */
    private static void install(LoggerContext context) {
        if (appender == null) {
            appender = new PjdlogAppender(new ForegroundOutput(() -> System.out, () -> System.err), 0);
        }
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext();) {
            Appender<ILoggingEvent> other = it.next();
            if (other != appender) {
                root.detachAppender(other);
                other.stop();
            }
        }
        if (!appender.isStarted()) {
            appender.setContext(context);
            appender.start();
            root.addAppender(appender);
        }
    }

    private static void applyLevels(LoggerContext context, int newDebugLevel) {
        debugLevel = newDebugLevel;
        appender.setDebugLevel(newDebugLevel);
        context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(newDebugLevel >= 3 ? Level.DEBUG : Level.INFO);
        context.getLogger(OUR_LOGGERS).setLevel(levelFor(newDebugLevel));
    }

    private static void checkDebugLevel(int value) {
        if (value < 0) {
            throw new IllegalArgumentException("debug level must be >= 0: " + value);
        }
    }

    private static LoggerContext context() {
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (!(factory instanceof LoggerContext)) {
            throw new IllegalStateException("slf4j is not bound to logback but to " + factory.getClass().getName());
        }
        return (LoggerContext) factory;
    }
}
