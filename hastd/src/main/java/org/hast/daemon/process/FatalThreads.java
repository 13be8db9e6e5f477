package org.hast.daemon.process;

import java.util.concurrent.ThreadFactory;

import org.hast.daemon.log.HastLogging;
import org.hast.util.SysExits;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.LoggerContext;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The one policy for a thread that dies of an uncaught throwable (docs/failure-policy.md): log
 * it with its stack trace at CRIT, then halt the JVM with {@code EX_SOFTWARE}, as the
 * reference aborts on a failed assertion. Without it a dead I/O thread leaves a queue nobody
 * drains, clients waiting forever and a process the main hastd still counts as healthy;
 * halted, a worker is restarted by the main process like any crashed one (spec §3.7).
 *
 * <p>Every thread hastd starts comes from here, and {@link #installDefault} makes the policy
 * the JVM's default too, for the main thread and the threads libraries start.
 */
public final class FatalThreads {
    private static final Logger LOG = LoggerFactory.getLogger(FatalThreads.class);
    /** Logging must not keep a broken process alive (a blocked stderr, a wedged appender). */
    private static final long LOG_LIMIT_MILLIS = 5_000;
    private static final Thread.UncaughtExceptionHandler POLICY = FatalThreads::die;

    private FatalThreads() {
    }

    /**
     * Makes the policy the JVM default, and extends it to the Errors Netty catches on its event
     * loops ({@link NettyCaughtErrors}): first thing in every {@code main}.
     */
    public static void installDefault() {
        Thread.setDefaultUncaughtExceptionHandler(POLICY);
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context
                && context.getTurboFilterList().stream().noneMatch(NettyCaughtErrors.class::isInstance)) {
            NettyCaughtErrors filter = new NettyCaughtErrors();
            filter.setContext(context);
            filter.start();
            context.addTurboFilter(filter);
        }
    }

    /** A daemon thread under the policy, not started. */
    public static Thread newThread(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        thread.setUncaughtExceptionHandler(POLICY);
        return thread;
    }

    /** A daemon thread under the policy, started. */
    public static Thread start(String name, Runnable body) {
        Thread thread = newThread(name, body);
        thread.start();
        return thread;
    }

    /** For executors: daemon threads called {@code name}, under the policy. */
    public static ThreadFactory factory(String name) {
        return body -> newThread(name, body);
    }

    /**
     * For Netty event loop groups: Netty's own thread type (fast thread-locals), non-daemon as
     * Netty makes them, under the policy. Netty itself catches and logs at WARN what a task, a
     * handler or even the loop throws ("A task raised an exception", "Unexpected exception
     * from an event executor"): {@link NettyCaughtErrors} applies the policy to the Errors among them.
     */
    public static ThreadFactory eventLoops(String poolName) {
        return new DefaultThreadFactory(poolName) {
            @Override
            protected Thread newThread(Runnable body, String name) {
                Thread thread = super.newThread(body, name);
                thread.setUncaughtExceptionHandler(POLICY);
                return thread;
            }
        };
    }

    static void die(Thread thread, Throwable error) {
        try {
            Thread watchdog = new Thread(FatalThreads::haltLater, "fatal-halt");
            watchdog.setDaemon(true);
            watchdog.start();
        } catch (Throwable noThread) {
            // Out of memory or threads: log and halt without a watchdog.
        }
        try {
            // CRIT events always carry their whole stack trace, whatever the debug level.
            LOG.error(HastLogging.CRIT, "Thread {} died, exiting", thread.getName(), error);
        } catch (Throwable loggingFailed) {
            try {
                System.err.println("[CRIT] Thread " + thread.getName() + " died, exiting:");
                error.printStackTrace();
            } catch (Throwable nothingLeft) {
                // Halting is all that is left.
            }
        } finally {
            System.out.flush();
            System.err.flush();
            Runtime.getRuntime().halt(SysExits.EX_SOFTWARE);
        }
    }

    private static void haltLater() {
        try {
            Thread.sleep(LOG_LIMIT_MILLIS);
        } catch (InterruptedException e) {
            // Halting now, then.
        }
        Runtime.getRuntime().halt(SysExits.EX_SOFTWARE);
    }
}
