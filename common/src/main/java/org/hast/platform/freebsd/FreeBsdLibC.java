package org.hast.platform.freebsd;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.Variadic;
import jnr.ffi.types.size_t;

/**
 * The FreeBSD libc calls Linux's glibc lacks. Loaded on first use only, so that Linux never
 * tries to bind them.
 */
public interface FreeBsdLibC {

    /** {@code int sysctlbyname(const char *, void *, size_t *, const void *, size_t)}. */
    int sysctlbyname(String name, Pointer oldValue, Pointer oldLength, Pointer newValue, @size_t long newLength);

    /** {@code void setproctitle(const char *fmt, ...)}, called as {@code ("-%s", title)}. */
    @Variadic(fixedCount = 1)
    void setproctitle(String format, String title);

    /** Loads the binding on first use only. */
    final class Holder {
        static final FreeBsdLibC INSTANCE = LibraryLoader.create(FreeBsdLibC.class).load("c");
        static final jnr.ffi.Runtime RUNTIME = jnr.ffi.Runtime.getRuntime(INSTANCE);

        private Holder() {
        }
    }
}
