package org.hast.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.hast.util.SysExits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** hastctl's command line: usage, getopt-like parsing and the exit codes of spec §2.7. */
class CommandLineTest {
    @TempDir
    Path dir;

    private Path config(String text) throws Exception {
        Path file = dir.resolve("hast.conf");
        Files.writeString(file, text);
        return file;
    }

    private Path validConfig() throws Exception {
        return config("control uds://" + dir.resolve("ctl.sock") + "\n"
                + "resource r0 {\n  on nodeA { local " + dir.resolve("disk") + " remote tcp4://127.0.0.1:9 }\n}\n");
    }

    private static void assertUsage(CtlRun run) {
        assertEquals(SysExits.EX_USAGE, run.exitCode(), run.toString());
        assertTrue(run.err().contains("usage: hastctl create [-d] [-c config] [-e extentsize] [-k keepdirty]\n"
                + "\t\t[-m mediasize] name ...\n"
                + "       hastctl role [-d] [-c config] <init | primary | secondary> all | name ...\n"
                + "       hastctl list [-d] [-c config] [all | name ...]\n"
                + "       hastctl status [-d] [-c config] [all | name ...]\n"
                + "       hastctl dump [-d] [-c config] [all | name ...]\n"), run.toString());
        assertEquals("", run.out());
    }

    @Test
    void noArgumentsPrintsUsage() {
        assertUsage(CtlRun.of());
    }

    @ParameterizedTest
    @ValueSource(strings = {"-h", "frobnicate", "-help", "Status"})
    void unknownCommandPrintsUsage(String word) {
        assertUsage(CtlRun.of(word));
    }

    @ParameterizedTest
    @ValueSource(strings = {"create", "role", "list", "status", "dump", "stop"})
    void dashHPrintsUsage(String command) {
        assertUsage(CtlRun.of(command, "-h"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"create", "role", "list", "status", "dump", "stop"})
    void unknownOptionPrintsOneErrorAndUsage(String command) {
        CtlRun run = CtlRun.of(command, "-x");
        assertUsage(run);
        assertTrue(run.err().startsWith("hastctl: "), run.toString());
    }

    @Test
    void missingOptionArgumentIsUsage() {
        assertUsage(CtlRun.of("status", "-c"));
    }

    @Test
    void createAndRoleNeedNames() throws Exception {
        String conf = validConfig().toString();
        assertUsage(CtlRun.of("create", "-c", conf));
        assertUsage(CtlRun.of("role", "-c", conf));
        assertUsage(CtlRun.of("role", "-c", conf, "primary"));
    }

    @Test
    void badRoleWordIsUsageButOnlyAfterTheConfig() throws Exception {
        assertUsage(CtlRun.of("role", "-c", validConfig().toString(), "master", "r0"));
        CtlRun broken = CtlRun.of("role", "-c", config("timeout 0\n").toString(), "master", "r0");
        assertEquals(SysExits.EX_CONFIG, broken.exitCode(), broken.toString());
    }

    @Test
    void stopTakesNoNames() throws Exception {
        assertUsage(CtlRun.of("stop", "-c", validConfig().toString(), "r0"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"-e", "-k", "-m"})
    void invalidSizeIsUsageError(String option) throws Exception {
        CtlRun run = CtlRun.of("create", "-c", validConfig().toString(), option, "12q", "r0");
        assertEquals(SysExits.EX_USAGE, run.exitCode(), run.toString());
        String what = switch (option) {
            case "-e" -> "extentsize";
            case "-k" -> "keepdirty";
            default -> "mediasize";
        };
        assertEquals("hastctl: Invalid " + what + "\n", run.err());
    }

    @Test
    void optionsAfterNamesAreOptions() throws Exception {
        // Not getopt's stop at the first name: "-d" after a name raises the debug level.
        CtlRun run = CtlRun.of("dump", "-c", validConfig().toString(), "r1", "-d");
        assertEquals(SysExits.EX_DATAERR, run.exitCode(), run.toString());
        assertEquals("[ERROR] Unknown resource r1.\n", run.err());
    }

    @Test
    void configAfterTheRoleWordIsRead() throws Exception {
        // Must not fall back to /etc/hast.conf: the error names the socket of the given file.
        CtlRun run = CtlRun.of("role", "primary", "-c", validConfig().toString(), "r0");
        assertEquals(SysExits.EX_OSERR, run.exitCode(), run.toString());
        assertEquals("[ERROR] Unable to connect to hastd via uds://" + dir.resolve("ctl.sock")
                + ": No such file or directory.\n", run.err());
    }

    @Test
    void doubleDashEndsOptions() throws Exception {
        CtlRun run = CtlRun.of("dump", "-c", validConfig().toString(), "--", "r1", "-d");
        assertEquals(SysExits.EX_DATAERR, run.exitCode(), run.toString());
        assertEquals("[ERROR] Unknown resource r1.\n[ERROR] Unknown resource -d.\n", run.err());
    }

    @Test
    void unknownOptionAfterNamesIsUsage() throws Exception {
        assertUsage(CtlRun.of("status", "-c", validConfig().toString(), "r0", "-x"));
    }

    @Test
    void clusteredDebugFlagsAndAttachedValues() throws Exception {
        CtlRun run = CtlRun.of("dump", "-ddc" + validConfig(), "nosuch");
        assertEquals(SysExits.EX_DATAERR, run.exitCode(), run.toString());
    }

    @Test
    void missingConfigFileIsOsFile() {
        CtlRun run = CtlRun.of("status", "-c", dir.resolve("absent.conf").toString());
        assertEquals(SysExits.EX_OSFILE, run.exitCode(), run.toString());
        assertEquals(1, run.err().lines().count(), run.toString());
        assertTrue(run.err().startsWith("[ERROR] " + dir.resolve("absent.conf")), run.toString());
    }

    @Test
    void configErrorIsConfigWithFileAndLine() throws Exception {
        Path conf = config("# comment\ntimeout 0\n");
        CtlRun run = CtlRun.of("status", "-c", conf.toString());
        assertEquals(SysExits.EX_CONFIG, run.exitCode(), run.toString());
        assertEquals("[ERROR] " + conf + ":2: Negative or zero timeout.\n", run.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {"status", "list", "stop"})
    void noDaemonIsOsErr(String command) throws Exception {
        CtlRun run = CtlRun.of(command, "-c", validConfig().toString());
        assertEquals(SysExits.EX_OSERR, run.exitCode(), run.toString());
        assertEquals("[ERROR] Unable to connect to hastd via uds://" + dir.resolve("ctl.sock")
                + ": No such file or directory.\n", run.err());
    }

    @Test
    void noDaemonForRoleIsOsErr() throws Exception {
        CtlRun run = CtlRun.of("role", "-c", validConfig().toString(), "primary", "r0");
        assertEquals(SysExits.EX_OSERR, run.exitCode(), run.toString());
    }
}
