package org.hast.daemon.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.hast.testing.Processes;
import org.junit.jupiter.api.Test;

/**
 * A JVM that starts as hastd's do and allocates a pooled Netty buffer, as every worker's first
 * request does, registers no Flight Recorder event types (a worker start-up cost, issue #15: the
 * registry and its generated event handlers, some 80 classes); an explicit
 * {@code -Dio.netty.jfr.enabled=true} still turns Netty's events on. Netty still asks whether the
 * recorder is available, which loads a dozen cheap classes: not counted.
 */
class JvmDefaultsTest {
    /** Loaded when the first event type is registered. */
    private static final String EVENT_REGISTRY = "jdk.jfr.internal.MetadataRepository";

    /**
     * Also: Netty's leak detector is off, its stack traces cost the primary's loop 2.6 % under
     * 4 KiB writes (issue #15). One probe JVM checks both, to keep the test short.
     */
    @Test
    void nettyBufferEventsRegisterNoFlightRecorderEventsAndNoLeakDetector() throws Exception {
        List<String> classes = loadedClasses();
        assertFalse(classes.contains(EVENT_REGISTRY),
                "JFR event types registered: " + classes.stream().filter(c -> c.startsWith("jdk.jfr.")).toList());
        assertEquals("DISABLED", leakDetection(classes));
    }

    @Test
    void explicitPropertiesStillWin() throws Exception {
        List<String> classes = loadedClasses("-D" + JvmDefaults.NETTY_JFR + "=true",
                "-D" + JvmDefaults.NETTY_LEAK_DETECTION + "=simple");
        assertTrue(classes.contains(EVENT_REGISTRY), "Netty registered no JFR event type when asked to");
        assertEquals("SIMPLE", leakDetection(classes));
    }

    private static String leakDetection(List<String> probeLines) {
        return probeLines.stream().filter(line -> line.startsWith(NettyBufferProbeMain.LEAK_LINE))
                .map(line -> line.substring(NettyBufferProbeMain.LEAK_LINE.length())).findFirst().orElseThrow();
    }

    /** The classes a probe JVM loaded, from its -Xlog:class+load lines, and its own lines. */
    private static List<String> loadedClasses(String... flags) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xshare:off", "-Xlog:class+load=info:stdout:none"));
        command.addAll(List.of(flags));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), NettyBufferProbeMain.class.getName()));
        Processes.Result result = Processes.run(command, Map.of(), Duration.ofSeconds(60));
        assertEquals(0, result.exitCode(), result.toString());
        return result.stdout().lines()
                .map(line -> line.startsWith(NettyBufferProbeMain.LEAK_LINE) ? line : line.split(" ", 2)[0]).toList();
    }
}
