package org.hast.daemon.process;

import jnr.ffi.LibraryLoader;
import jnr.ffi.types.intptr_t;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Signal handlers that hold even when the parent left a signal ignored (spec §3.2 step 5: the
 * reference resets SIGHUP, SIGINT and SIGTERM to their defaults before it takes them over). A
 * process started under {@code nohup}, as a shell's background job or by some init systems
 * inherits SIGHUP or SIGINT as SIG_IGN, and the JVM then silently declines to install a handler
 * for it: {@code reload} and SIGINT would do nothing. SIGCHLD needs nothing from us: the JDK
 * sets it back to SIG_DFL itself before it starts the first child process (otherwise the
 * kernel would reap the workers and every exit status would read 0); SignalsTest checks it.
 *
 * <p>libc is bound only when a signal actually arrives ignored, so a normal start pays nothing.
 */
public final class Signals {
    private static final long SIG_DFL = 0;
    private static final long SIG_ERR = -1;

    /** Public only because jnr-ffi generates its implementation in another class loader. */
    public interface Binding {
        @intptr_t
        long signal(int signum, @intptr_t long handler);
    }

    private Signals() {
    }

    /**
     * Runs {@code action} on the JVM's signal thread whenever {@code name} ({@code "HUP"}, …)
     * arrives; an inherited SIG_IGN is reset to SIG_DFL first.
     *
     * @throws IllegalStateException when the handler cannot be installed
     */
    public static void handle(String name, Runnable action) {
        Signal signal = new Signal(name);
        SignalHandler handler = s -> action.run();
        if (Signal.handle(signal, handler) != SignalHandler.SIG_IGN) {
            return;
        }
        // The JVM left the inherited SIG_IGN in place and our handler unused: reset, retry.
        resetToDefault(signal);
        if (Signal.handle(signal, handler) == SignalHandler.SIG_IGN) {
            throw new IllegalStateException("SIG" + name + " stays ignored");
        }
    }

    private static void resetToDefault(Signal signal) {
        Binding libc;
        try {
            libc = LibraryLoader.create(Binding.class).load("c");
        } catch (LinkageError | RuntimeException e) {
            throw new IllegalStateException("SIG" + signal.getName() + " is ignored and libc is unavailable: "
                    + e.getMessage(), e);
        }
        if (libc.signal(signal.getNumber(), SIG_DFL) == SIG_ERR) {
            throw new IllegalStateException("SIG" + signal.getName() + " is ignored and cannot be reset");
        }
    }
}
