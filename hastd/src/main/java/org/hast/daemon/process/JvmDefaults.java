package org.hast.daemon.process;

/**
 * System properties every hastd JVM (main process and workers) starts with, set before the
 * first Netty class loads. Each is only a default: a {@code -D} on the command line or in
 * {@code JAVA_TOOL_OPTIONS} wins.
 */
public final class JvmDefaults {
    /**
     * Netty's own Flight Recorder events (buffer allocator chunks): registering their event
     * classes initialises JFR in every JVM, 100–600 ms of a worker's start measured (worker
     * start is most of the failover time), for events nobody records unless profiling.
     */
    static final String NETTY_JFR = "io.netty.jfr.enabled";
    /**
     * Netty's leak detector: at its default level it follows one buffer in 128 and records a
     * stack trace at each of its touches and at its release: 2.6 % of the primary's event loop
     * under 4 KiB writes (perf) and the largest allocation site of both workers (JFR, issue #15).
     * The tests run it at PARANOID; an operator chasing a leak sets
     * {@code -Dio.netty.leakDetection.level=simple}.
     */
    static final String NETTY_LEAK_DETECTION = "io.netty.leakDetection.level";

    private JvmDefaults() {
    }

    public static void apply() {
        if (System.getProperty(NETTY_JFR) == null) {
            System.setProperty(NETTY_JFR, "false");
        }
        if (System.getProperty(NETTY_LEAK_DETECTION) == null) {
            System.setProperty(NETTY_LEAK_DETECTION, "disabled");
        }
    }
}
