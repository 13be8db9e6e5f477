package org.hast.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.hast.testing.Processes;
import org.hast.testing.Requirements;
import org.hast.util.SysExits;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The real {@code bin/hastd} launcher: command-line and configuration refusals (spec §3.1, §3.2). */
class HastdCommandLineIT {
    private static final Duration LIMIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private static Processes.Result hastd(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Requirements.projectRoot().resolve("bin/hastd").toString());
        command.addAll(List.of(args));
        return Processes.run(command, Map.of("HAST_NODE", "nodeA"), LIMIT);
    }

    @ParameterizedTest
    @ValueSource(strings = {"-h", "-x", "extra"})
    void usageErrors(String arg) throws Exception {
        Processes.Result result = hastd(arg);
        assertEquals(SysExits.EX_USAGE, result.exitCode(), result.toString());
        assertTrue(result.stderr().contains("usage: hastd [-dFh] [-c config] [-P pidfile]"), result.toString());
    }

    @Test
    void missingConfigIsConfigError() throws Exception {
        Processes.Result result = hastd("-F", "-c", dir.resolve("absent.conf").toString());
        assertEquals(SysExits.EX_CONFIG, result.exitCode(), result.toString());
        assertEquals(List.of("[ERROR] Unable to obtain full path of " + dir.resolve("absent.conf")
                + ": No such file or directory."), result.stderrLines());
    }

    @Test
    void configErrorNamesFileAndLine() throws Exception {
        Path config = dir.resolve("hast.conf");
        Files.writeString(config, "resource r0 {\n  on nodeA { local /dev/null }\n}\n");
        Processes.Result result = hastd("-F", "-c", config.toString());
        assertEquals(SysExits.EX_CONFIG, result.exitCode(), result.toString());
        assertEquals(List.of("[ERROR] " + config.toRealPath() + ":3: Remote address not configured for resource r0."),
                result.stderrLines());
    }

    @Test
    void overlongPidfileIsConfigError() throws Exception {
        Processes.Result result = hastd("-F", "-P", "/" + "p".repeat(1100));
        assertEquals(SysExits.EX_CONFIG, result.exitCode(), result.toString());
        assertEquals(List.of("[ERROR] Pidfile path is too long."), result.stderrLines());
    }

    @Test
    void daemonisingWithoutSyslogWarnsOnTheTerminal() throws Exception {
        // Where /dev/log exists there is nothing to warn about.
        Assumptions.assumeFalse(Files.exists(Path.of("/dev/log")), "this host has a syslog socket");
        Path config = dir.resolve("hast.conf");
        Files.writeString(config, "control uds://" + dir.resolve("ctl.sock") + "\n"
                + "pidfile " + dir.resolve("hastd.pid") + "\n"
                + "listen tcp4://127.0.0.1:" + (20000 + (int) (ProcessHandle.current().pid() % 20000)) + "\n");
        Processes.Result result = hastd("-c", config.toString());
        try {
            assertEquals(SysExits.EX_OK, result.exitCode(), result.toString());
            assertEquals(List.of("[WARNING] Syslog socket /dev/log does not exist, log messages will be lost."),
                    result.stderrLines());
        } finally {
            Path pidfile = dir.resolve("hastd.pid");
            if (Files.exists(pidfile)) {
                long pid = Long.parseLong(Files.readString(pidfile).trim());
                ProcessHandle.of(pid).ifPresent(daemon -> {
                    daemon.destroy();
                    daemon.onExit().join();
                });
            }
        }
    }
}
