package org.hast.daemon.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.hast.testing.Processes;
import org.hast.util.SysExits;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A real JVM whose thread dies: one CRIT line, the whole trace, then exit EX_SOFTWARE. */
class FatalThreadsTest {

    @ParameterizedTest
    @CsvSource({"thread, dying", "main, main"})
    void aDeadThreadIsLoggedWithItsTraceThenTheJvmHalts(String which, String threadName) throws Exception {
        Processes.Result result = Processes.run(List.of(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), DyingThreadMain.class.getName(), which),
                Map.of(), Duration.ofSeconds(60));
        assertEquals(SysExits.EX_SOFTWARE, result.exitCode(), result.toString());
        List<String> lines = result.stderrLines();
        assertEquals("[CRIT] [r0] (primary) Thread " + threadName + " died, exiting: injected failure.",
                lines.get(0), result.toString());
        assertEquals("java.lang.IllegalStateException: injected failure", lines.get(1), result.toString());
        assertTrue(lines.get(2).startsWith("\tat org.hast.daemon.process.DyingThreadMain."), result.toString());
        assertEquals("", result.stdout(), result.toString());
    }

    /** Netty catches what an event loop's task throws: an Error still ends the process. */
    @ParameterizedTest
    @CsvSource({"error, 70", "exception, 0"})
    void anErrorNettyCaughtOnAnEventLoopEndsTheJvm(String thrown, int exitCode) throws Exception {
        Processes.Result result = Processes.run(List.of(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), LoopTaskFailureMain.class.getName(), thrown),
                Map.of(), Duration.ofSeconds(60));
        assertEquals(exitCode, result.exitCode(), result.toString());
        if (exitCode == SysExits.EX_SOFTWARE) {
            List<String> lines = result.stderrLines();
            assertEquals(1, lines.stream().filter(l -> l.startsWith("[CRIT] [r0] (primary) Thread worker-io-")
                    && l.endsWith(" died, exiting: injected failure.")).count(), result.toString());
            assertTrue(lines.contains("java.lang.OutOfMemoryError: injected failure"), result.toString());
            assertEquals("", result.stdout(), result.toString());
        } else {
            assertEquals("loop survived", result.stdout().strip(), result.toString());
        }
    }
}
