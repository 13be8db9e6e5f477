package org.hast.daemon.log;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.hast.testing.Processes;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A fresh JVM whose first log call comes before any configuration: it must already print
 * pjdlog lines, and neither logback nor slf4j may add a word of their own.
 */
class StartupOutputTest {

    private static Processes.Result runMain(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(FirstLogCallMain.class.getName());
        command.addAll(List.of(args));
        return Processes.run(command, Map.of(), Duration.ofSeconds(60));
    }

    @Test
    void firstLogCallUsesOurFormatAndLogbackStaysQuiet() throws Exception {
        Processes.Result result = runMain();
        assertEquals(0, result.exitCode(), result.toString());
        assertEquals("[INFO] hello\n", result.stdout(), result.toString());
        assertEquals("[WARNING] careful\n", result.stderr(), result.toString());
    }

    @Test
    void syslogWithoutSocketWarnsOnceOnStderr() throws Exception {
        // Not a missing requirement but a host that has syslog: nothing to warn about there.
        Assumptions.assumeFalse(Files.exists(HastLogging.syslogSocket()), "this host has a syslog socket");
        Processes.Result result = runMain("syslog");
        assertEquals(0, result.exitCode(), result.toString());
        assertEquals("[INFO] hello\n", result.stdout(), result.toString());
        assertEquals("[WARNING] careful\n[WARNING] Syslog socket " + HastLogging.syslogSocket()
                + " does not exist, log messages will be lost.\n", result.stderr(), result.toString());
    }
}
