package org.hast.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Map;

import org.hast.testing.Requirements;
import org.hast.util.SysExits;
import org.junit.jupiter.api.Test;

/** hastd's {@code --help} and {@code --version} (ours), beside FreeBSD's {@code -h}. */
class HastdHelpTest {
    private record Run(int exitCode, String out, String err) {
    }

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = HastdMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), Map.of("HAST_NODE", "nodeA"));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void helpDescribesEveryOption() {
        Run run = run("--help");
        assertEquals(SysExits.EX_OK, run.exitCode(), run.toString());
        assertTrue(run.out().startsWith("usage: hastd [-dFh] [-c config] [-P pidfile]\n"), run.out());
        for (String option : new String[] {"-c config", "-d", "-F", "-h", "-P pidfile", "--help", "--version"}) {
            assertTrue(run.out().contains("\n  " + option + " "), option + "\n" + run.out());
        }
        assertEquals("", run.err());
    }

    @Test
    void versionNamesTheProjectVersionAndTheProtocol() throws Exception {
        Run run = run("--version");
        assertEquals(SysExits.EX_OK, run.exitCode(), run.toString());
        assertEquals("hastd " + projectVersion() + " (HAST protocol version 2)\n", run.out());
    }

    @Test
    void dashHIsStillFreeBsdUsage() {
        Run run = run("-h", "--help");
        assertEquals(SysExits.EX_USAGE, run.exitCode(), run.toString());
        assertEquals("usage: hastd [-dFh] [-c config] [-P pidfile]\n", run.err());
        assertEquals("", run.out());
    }

    private static String projectVersion() throws Exception {
        String pom = Files.readString(Requirements.projectRoot().resolve("pom.xml"));
        int artifact = pom.indexOf("<artifactId>hast-parent</artifactId>");
        int start = pom.indexOf("<version>", artifact) + "<version>".length();
        return pom.substring(start, pom.indexOf("</version>", start));
    }
}
