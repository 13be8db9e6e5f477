package org.hast.daemon.process;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.hast.testing.Processes;
import org.junit.jupiter.api.Test;

/**
 * Signals inherited as ignored, as under {@code nohup} or in a shell's background job: the
 * handlers must still run and a child's exit status must still be seen (spec §3.2 step 5).
 */
class SignalsTest {

    @Test
    void handlersRunAndChildExitsAreSeenWhenTheParentIgnoredTheSignals() throws Exception {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        Processes.Result result = Processes.run(List.of("bash", "-c", "trap '' HUP INT CHLD; exec \"$@\"", "probe",
                java, "-cp", System.getProperty("java.class.path"), SignalProbeMain.class.getName()),
                Map.of(), Duration.ofSeconds(60));
        assertEquals(0, result.exitCode(), result.toString());
        assertEquals("HUP handled\nINT handled\nchild exit 3\n", result.stdout(), result.toString());
    }
}
