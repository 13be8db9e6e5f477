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

    @Test
    void nettyBufferEventsRegisterNoFlightRecorderEvents() throws Exception {
        List<String> classes = loadedClasses();
        assertFalse(classes.contains(EVENT_REGISTRY),
                "JFR event types registered: " + classes.stream().filter(c -> c.startsWith("jdk.jfr.")).toList());
    }

    @Test
    void anExplicitPropertyStillWins() throws Exception {
        List<String> classes = loadedClasses("-D" + JvmDefaults.NETTY_JFR + "=true");
        assertTrue(classes.contains(EVENT_REGISTRY), "Netty registered no JFR event type when asked to");
    }

    @Test
    void nettyLeakDetectionIsOffUnlessAskedFor() throws Exception {
        assertTrue(loadedClasses().contains("leakDetection=DISABLED"),
                "hastd's JVMs sample buffers for leaks: two stack traces per 128 buffers on the I/O paths");
        assertTrue(loadedClasses("-D" + JvmDefaults.NETTY_LEAK_DETECTION + "=paranoid")
                .contains("leakDetection=PARANOID"), "an explicit level was overridden");
    }

    /** The classes a probe JVM loaded, from its -Xlog:class+load lines, and its own output lines' first words. */
    private static List<String> loadedClasses(String... flags) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xshare:off", "-Xlog:class+load=info:stdout:none"));
        command.addAll(List.of(flags));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), NettyBufferProbeMain.class.getName()));
        Processes.Result result = Processes.run(command, Map.of(), Duration.ofSeconds(60));
        assertEquals(0, result.exitCode(), result.toString());
        return result.stdout().lines().map(line -> line.split(" ", 2)[0]).toList();
    }
}
