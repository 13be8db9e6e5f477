package org.hast.daemon.supervision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * A JVM started with a worker's options, as {@link WorkerLauncher} starts one (docs/memory.md),
 * really runs with the memory shape that keeps a worker under 128 MiB: SerialGC with a young
 * generation of at most 8 MiB, the heap and direct-memory caps, one Netty direct arena of 1 MiB
 * chunks, two malloc arenas. {@value WorkerJvmOptions#ENVIRONMENT} adds options, and a collector
 * named there replaces the default one instead of making the JVM refuse to start.
 */
class WorkerJvmOptionsTest {
    @Test
    void aWorkerJvmRunsWithTheMemoryShapeOfDocsMemory() throws Exception {
        Map<String, String> seen = probe(Map.of());
        assertTrue(seen.get("collectors").contains("Copy;") && seen.get("collectors").contains("MarkSweepCompact;"),
                "SerialGC's two collectors, not " + seen.get("collectors"));
        assertTrue(Long.parseLong(seen.get("youngMax")) <= 8L << 20, "young generation " + seen.get("youngMax"));
        assertTrue(Long.parseLong(seen.get("heapMax")) <= WorkerMemory.HEAP_BYTES, "heap " + seen.get("heapMax"));
        assertEquals(WorkerMemory.DIRECT_BYTES, Long.parseLong(seen.get("directMax")));
        assertEquals("1", seen.get("nettyDirectArenas"));
        assertEquals(String.valueOf(1 << 20), seen.get("nettyChunk"));
        assertEquals("2", seen.get("mallocArenaMax"));
        assertEquals("1000", seen.get("trimNativeHeapInterval"), "this JDK (17.0.9 or later) trims the C heap");
    }

    @Test
    void optionsFromTheEnvironmentComeLastAndMayPickAnotherCollector() throws Exception {
        Map<String, String> seen = probe(Map.of(WorkerJvmOptions.ENVIRONMENT,
                " -XX:+UseParallelGC   -XX:MaxDirectMemorySize=32m "));
        assertTrue(seen.get("collectors").contains("PS Scavenge;"), "ParallelGC, not " + seen.get("collectors"));
        assertEquals(32L << 20, Long.parseLong(seen.get("directMax")));
        assertFalse(WorkerJvmOptions.of(Map.of(WorkerJvmOptions.ENVIRONMENT, "-XX:+UseParallelGC"))
                .contains("-Xmn8m"), "SerialGC's young size stays with SerialGC");
    }

    @Test
    void hastdsOwnMallocSettingWins() {
        Map<String, String> environment = new HashMap<>(Map.of("MALLOC_ARENA_MAX", "4"));
        WorkerJvmOptions.applyEnvironment(environment);
        assertEquals("4", environment.get("MALLOC_ARENA_MAX"));
    }

    /** Starts the probe JVM with the worker options {@code hastdEnvironment} gives, and reads its report. */
    private static Map<String, String> probe(Map<String, String> hastdEnvironment) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(WorkerJvmOptions.of(hastdEnvironment));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), WorkerJvmProbeMain.class.getName()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().remove("MALLOC_ARENA_MAX");
        builder.environment().remove("JAVA_TOOL_OPTIONS");
        WorkerJvmOptions.applyEnvironment(builder.environment());
        Process process = builder.start();
        String out;
        try {
            out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "probe JVM still running");
        } finally {
            process.destroyForcibly();
        }
        assertEquals(0, process.exitValue(), out);
        Map<String, String> seen = new HashMap<>();
        out.lines().filter(l -> l.contains("=")).forEach(l -> seen.put(l.substring(0, l.indexOf('=')),
                l.substring(l.indexOf('=') + 1)));
        return seen;
    }
}
