package org.hast.daemon.supervision;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import com.sun.management.HotSpotDiagnosticMXBean;

/**
 * How a worker JVM is started (docs/memory.md): its collector and heap shape, start-up choices,
 * {@link WorkerMemory}'s caps, Netty's buffer pool and the C library's allocator, all chosen to
 * keep the worker's resident set under {@link WorkerMemory#RSS_LIMIT_BYTES}; then whatever
 * {@value #ENVIRONMENT} in hastd's environment adds (whitespace-separated, for A/B runs such as
 * bench/worker-memory.sh). An added option that picks a collector replaces the default collector
 * and its young-generation size, since the JVM refuses two collectors.
 */
public final class WorkerJvmOptions {
    /** Extra worker JVM options, appended after the defaults (a later flag wins). */
    public static final String ENVIRONMENT = "HAST_WORKER_JVM_OPTIONS";

    /**
     * SerialGC with an 8 MiB young generation: the worker allocates little and keeps less, so
     * one collector thread and a small eden cost no throughput, and an eden sized from the
     * whole heap (32 MiB) would be resident for nothing. The comparison is in docs/memory.md.
     */
    static final List<String> COLLECTOR = List.of("-XX:+UseSerialGC", "-Xmn8m");

    /**
     * Start-up over peak speed where it is free (the I/O paths still get the full JIT); a small
     * initial heap, so that the heap can shrink back after a peak.
     */
    private static final List<String> RUNTIME = List.of("-XX:-UsePerfData", "-Xss512k", "-Xshare:auto", "-Xms16m");

    /**
     * Freed C heap handed back to the kernel every second: a JIT compilation or a burst of
     * direct buffers leaves tens of MiB of free but resident C heap behind otherwise. Only on a
     * JVM that knows the flag (17.0.9 and later), which would refuse to start otherwise; the
     * worker runs the same {@code java} as hastd.
     */
    static final String TRIM_NATIVE_HEAP = "TrimNativeHeapInterval";
    /** Asked once (JMX's first use costs tens of ms), not at every worker start of a failover. */
    private static final boolean TRIMS = jvmKnows(TRIM_NATIVE_HEAP);

    /**
     * Netty's pooled allocator (the link's frame headers, the sync steps; the channels' reads go
     * through its adaptive allocator) with one direct arena of 1 MiB chunks instead of one per
     * core of 4 MiB: each arena a thread touches costs a whole chunk of resident memory, and two
     * threads allocate from it.
     */
    private static final List<String> NETTY = List.of(
            "-Dio.netty.allocator.numDirectArenas=1", "-Dio.netty.allocator.maxOrder=7");

    /**
     * The C library's malloc keeps one arena per thread by default (up to 8 per core), each
     * holding on to what was freed in it; two are enough for the JVM's own allocations.
     */
    static final Map<String, String> ENVIRONMENT_DEFAULTS = Map.of("MALLOC_ARENA_MAX", "2");

    private WorkerJvmOptions() {
    }

    static List<String> of(Map<String, String> environment) {
        List<String> extra = extra(environment.get(ENVIRONMENT));
        List<String> options = new ArrayList<>();
        if (extra.stream().noneMatch(WorkerJvmOptions::picksCollector)) {
            options.addAll(COLLECTOR);
        }
        options.addAll(RUNTIME);
        if (TRIMS) {
            options.add("-XX:" + TRIM_NATIVE_HEAP + "=1000");
        }
        options.addAll(WorkerMemory.jvmFlags());
        options.addAll(NETTY);
        options.addAll(extra);
        return options;
    }

    /** Sets what the worker's environment needs unless hastd's own environment says otherwise. */
    static void applyEnvironment(Map<String, String> workerEnvironment) {
        ENVIRONMENT_DEFAULTS.forEach(workerEnvironment::putIfAbsent);
    }

    private static boolean jvmKnows(String flag) {
        try {
            ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).getVMOption(flag);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static List<String> extra(String value) {
        if (value == null || value.isBlank()) {
            return List.of();
        }
        return Arrays.asList(value.trim().split("\\s+"));
    }

    private static boolean picksCollector(String option) {
        return option.startsWith("-XX:+Use") && option.endsWith("GC");
    }
}
