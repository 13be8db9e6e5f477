package org.hast.daemon.log;

import java.nio.charset.StandardCharsets;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.NulTerminate;
import jnr.ffi.annotations.Variadic;

/**
 * libc's own {@code openlog}/{@code syslog}, so the socket path, the reconnect-on-failure and
 * the {@code <pri>timestamp hastd[pid]: } header are exactly what any C daemon on this host
 * produces. The binding is separate from {@code org.hast.sys.LibC} on purpose: foreground
 * runs and workers that never daemonise do not pay for generating it.
 */
final class NativeSyslog implements SyslogSink {
    static final int LOG_PID = 0x01;
    static final int LOG_NDELAY = 0x08;
    static final int LOG_DAEMON = 3 << 3;

    /** Public only because jnr-ffi generates its implementation in another class loader. */
    public interface Binding {
        void openlog(Pointer ident, int option, int facility);

        /** Always called with the format {@code "%s"}: the text is data, never a format. */
        @Variadic(fixedCount = 2)
        void syslog(int priority, @In @NulTerminate byte[] format, @In @NulTerminate byte[] text);

        void closelog();
    }

    private static final byte[] PERCENT_S = {'%', 's'};

    private static NativeSyslog instance;

    private final Binding libc;
    /**
     * glibc and FreeBSD libc keep the ident pointer, not a copy, and read it on every
     * syslog call: the memory must live as long as the process, hence a field of a
     * singleton that is never released.
     */
    private final Pointer ident;

    private NativeSyslog() {
        libc = LibraryLoader.create(Binding.class).load("c");
        byte[] name = "hastd".getBytes(StandardCharsets.US_ASCII);
        ident = Memory.allocateDirect(Runtime.getRuntime(libc), name.length + 1);
        ident.put(0, name, 0, name.length);
        ident.putByte(name.length, (byte) 0);
    }

    /** The process-wide instance; loads the binding on first use (LinkageError if no libc). */
    static synchronized NativeSyslog get() {
        if (instance == null) {
            instance = new NativeSyslog();
        }
        return instance;
    }

    @Override
    public void open() {
        libc.openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
    }

    @Override
    public void send(int priority, String text) {
        libc.syslog(priority, PERCENT_S, text.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        libc.closelog();
    }
}
