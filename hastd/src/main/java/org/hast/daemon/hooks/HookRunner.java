package org.hast.daemon.hooks;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongPredicate;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the {@code exec} program for events (spec §9.2) and keeps the list of hooks still
 * running, to report how each ended and which run for long (§9.3). Hooks are started and
 * forgotten by the caller: never waited for, never killed, no timeout.
 *
 * <p>Exits are seen through {@link Process#onExit()}, so no thread of ours waits per hook
 * (the JDK's own process reaper does). The main loop calls {@link #checkRunning(long)} every
 * 5 s. Thread-safe; an entry lives from start to exit only.
 *
 * <p>Differences from the reference's fork+execv, all forced by {@link ProcessBuilder}:
 * <ul>
 * <li>argv[0] is the full path, not its basename: Java cannot set argv[0] apart from the
 *     program it executes. A hook script that looks at {@code $0} sees the path.</li>
 * <li>A program that cannot be started (missing, not executable) is reported at once as
 *     {@code Unable to execute <path>: <strerror>.}; the reference's child logs the same and
 *     then also shows up as "exited ungracefully" with exit code 70 (EX_SOFTWARE).</li>
 * <li>A path without a slash is run from the current directory, as execv does, instead of
 *     being searched for on PATH as ProcessBuilder would.</li>
 * <li>The exit status arrives as the JDK's exit value, where a child killed by signal N
 *     reads 128 + N: see {@link #describeExit}.</li>
 * </ul>
 */
public final class HookRunner {
    /** A hook still running is reported again once this much time passed since the last report. */
    static final long REPORT_INTERVAL_MILLIS = 60_000;
    /** The command line kept for logs lives in {@code char[PATH_MAX]}: 1023 bytes and more are refused. */
    static final int COMMAND_MAX_BYTES = 1023;
    /** {@code char *args[64]} with its NULL terminator: argv[0] plus at most 62 arguments. */
    static final int ARGV_MAX = 63;
    /** How long a PID must stay missing, exit unseen, before the hook counts as disappeared. */
    static final long DISAPPEAR_GRACE_MILLIS = 1_000;
    /** Highest signal number on Linux (SIGRTMAX); beyond 128 + this an exit value is an exit code. */
    static final int SIGNAL_MAX = 64;

    private static final Logger LOG = LoggerFactory.getLogger(HookRunner.class);
    private static final File DEV_NULL = new File("/dev/null");

    private final boolean foreground;
    private final LongSupplier clockMillis;
    private final LongPredicate pidExists;
    /** Identity-keyed: a PID reused by a new hook before the old one's exit is handled stays apart. */
    private final Set<RunningHook> running = ConcurrentHashMap.newKeySet();

    /** One started hook. The mutable fields are only touched under the runner's lock. */
    private static final class RunningHook {
        final long pid;
        final String command;
        final Process process;
        final long startMillis;
        long lastReportMillis;
        /** When a check first found the PID gone with the exit still unseen; -1 while it exists. */
        long missingSinceMillis = -1;

        RunningHook(long pid, String command, Process process, long startMillis) {
            this.pid = pid;
            this.command = command;
            this.process = process;
            this.startMillis = startMillis;
            this.lastReportMillis = startMillis;
        }
    }

    /**
     * @param foreground true when hastd runs in the foreground: hooks inherit stdin, stdout and
     *     stderr; false when daemonised: all three are /dev/null
     */
    public HookRunner(boolean foreground) {
        this(foreground, System::currentTimeMillis);
    }

    /** As {@link #HookRunner(boolean)}, with the clock used for start times and reports. */
    public HookRunner(boolean foreground, LongSupplier clockMillis) {
        this(foreground, clockMillis, pid -> ProcessHandle.of(pid).isPresent());
    }

    /** For tests: {@code pidExists} stands in for {@code kill(pid, 0)}. */
    HookRunner(boolean foreground, LongSupplier clockMillis, LongPredicate pidExists) {
        this.foreground = foreground;
        this.clockMillis = Objects.requireNonNull(clockMillis, "clockMillis");
        this.pidExists = Objects.requireNonNull(pidExists, "pidExists");
    }

    /** Runs {@code <execPath> <event> <resource>}; nothing when {@code execPath} is empty. */
    public void runEvent(String execPath, String event, String resource) {
        run(execPath, List.of(event, resource));
    }

    /** {@link #runEvent(String, String, String)} for a worker's event; not for {@code role}. */
    public void runEvent(String execPath, HookEvent event, String resource) {
        if (event == HookEvent.ROLE) {
            throw new IllegalArgumentException("the role hook needs the old and new roles: use runRole");
        }
        runEvent(execPath, event.hookName(), resource);
    }

    /** Runs {@code <execPath> role <resource> <oldRole> <newRole>}; nothing when {@code execPath} is empty. */
    public void runRole(String execPath, String resource, String oldRole, String newRole) {
        run(execPath, List.of(HookEvent.ROLE.hookName(), resource, oldRole, newRole));
    }

    /** {@link #checkRunning(long)} at the runner's own clock. */
    public void checkRunning() {
        checkRunning(clockMillis.getAsLong());
    }

    /**
     * The 5-second check of spec §9.3: a hook whose PID no longer exists although we never saw
     * it exit is dropped with a warning; one last reported 60 s or more before
     * {@code nowMillis} (same clock as the runner's) is reported as still running.
     *
     * <p>"Disappeared" needs the PID missing at two checks at least a second apart: the JDK's
     * reaper removes the PID (waitpid) a moment before it marks the process exited, and one
     * look can fall in between. A hook still unreported a second later really was reaped by
     * someone else. (In practice the JDK then gets ECHILD and reports exit 0 first: a
     * {@code waitpid(-1)} elsewhere in the daemon would make hooks look graceful, so reap
     * workers by their own PIDs.)
     */
    public synchronized void checkRunning(long nowMillis) {
        LOG.trace("Checking hooks.");
        for (RunningHook hook : running) {
            if (!hook.process.isAlive()) {
                // The JDK reaped it: its exit report is on its way (exited below).
                continue;
            }
            if (!pidExists.test(hook.pid)) {
                if (hook.missingSinceMillis < 0) {
                    hook.missingSinceMillis = nowMillis;
                } else if (nowMillis - hook.missingSinceMillis >= DISAPPEAR_GRACE_MILLIS && running.remove(hook)) {
                    LOG.warn("Hook disappeared (pid={}, cmd=[{}]).", hook.pid, hook.command);
                }
                continue;
            }
            hook.missingSinceMillis = -1;
            if (nowMillis - hook.lastReportMillis < REPORT_INTERVAL_MILLIS) {
                continue;
            }
            LOG.warn("Hook is running for {} seconds (pid={}, cmd=[{}]).",
                    (nowMillis - hook.startMillis) / 1000, hook.pid, hook.command);
            hook.lastReportMillis = nowMillis;
        }
    }

    /** Hooks started and not yet reaped (or dropped as disappeared). */
    public int runningCount() {
        return running.size();
    }

    /** The PIDs of the hooks being tracked, for tests and diagnostics. */
    List<Long> runningPids() {
        List<Long> pids = new ArrayList<>();
        for (RunningHook hook : running) {
            pids.add(hook.pid);
        }
        return pids;
    }

    /** The command line as logged: the path and every argument, joined by single spaces. */
    static String commandLine(String execPath, List<String> args) {
        StringBuilder command = new StringBuilder(execPath);
        for (String arg : args) {
            command.append(' ').append(arg);
        }
        return command.toString();
    }

    private void run(String execPath, List<String> args) {
        if (execPath == null || execPath.isEmpty()) {
            return;
        }
        for (String arg : args) {
            Objects.requireNonNull(arg, "hook argument");
        }
        if (1 + args.size() > ARGV_MAX) {
            throw new IllegalArgumentException("a hook takes at most " + (ARGV_MAX - 1) + " arguments");
        }
        String command = commandLine(execPath, args);
        if (command.getBytes(StandardCharsets.UTF_8).length >= COMMAND_MAX_BYTES) {
            LOG.error("Exec path too long, correct configuration file.");
            return;
        }
        LOG.debug("Executing hook: {}", command);

        List<String> argv = new ArrayList<>(1 + args.size());
        argv.add(execPath.indexOf('/') < 0 ? "./" + execPath : execPath);
        argv.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(argv);
        if (foreground) {
            builder.inheritIO();
        } else {
            builder.redirectInput(ProcessBuilder.Redirect.from(DEV_NULL));
            builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
            builder.redirectError(ProcessBuilder.Redirect.DISCARD);
        }
        Process process;
        try {
            process = builder.start();
        } catch (IOException | RuntimeException e) {
            LOG.error("Unable to execute {}: {}.", execPath, startFailure(e));
            return;
        }
        RunningHook hook = new RunningHook(process.pid(), command, process, clockMillis.getAsLong());
        // Added before the exit callback exists, so a hook that ends at once is still found.
        running.add(hook);
        process.onExit().whenComplete((done, failure) -> exited(hook));
    }

    private void exited(RunningHook hook) {
        if (!running.remove(hook)) {
            return; // Already reported as disappeared.
        }
        // onExit completes only once the JDK reaped the child, so the value is there.
        int exitValue = hook.process.exitValue();
        String message = describeExit(exitValue, hook.pid, hook.command);
        if (exitValue == 0) {
            LOG.debug(message);
        } else {
            LOG.error(message);
        }
    }

    /**
     * The report for an exit value. The JDK gives 128 + N for a child killed by signal N, so
     * values 129..192 (signals 1..64) are reported as "killed". A hook that itself exits with
     * such a code (a shell whose last command was killed does) is reported as killed too: the
     * JDK does not tell the two apart.
     */
    static String describeExit(int exitValue, long pid, String command) {
        if (exitValue == 0) {
            return "Hook exited gracefully (pid=" + pid + ", cmd=[" + command + "]).";
        }
        if (exitValue > 128 && exitValue <= 128 + SIGNAL_MAX) {
            return "Hook was killed (pid=" + pid + ", signal=" + (exitValue - 128) + ", cmd=[" + command + "]).";
        }
        return "Hook exited ungracefully (pid=" + pid + ", exitcode=" + exitValue + ", cmd=[" + command + "]).";
    }

    /**
     * The strerror part of a start failure. The JDK says {@code Cannot run program "x":
     * error=2, No such file or directory}; the reference prints only the text after the number.
     */
    static String startFailure(Exception e) {
        String message = String.valueOf(e.getMessage());
        int errorAt = message.lastIndexOf("error=");
        if (errorAt >= 0) {
            int comma = message.indexOf(", ", errorAt);
            if (comma >= 0) {
                return message.substring(comma + 2);
            }
        }
        return message;
    }
}
