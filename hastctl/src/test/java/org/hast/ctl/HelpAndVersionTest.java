package org.hast.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;

import org.hast.testing.Requirements;
import org.hast.util.SysExits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The long help ({@code help}, {@code --help}) and {@code --version}: ours, on stdout, exit 0. */
class HelpAndVersionTest {
    @Test
    void versionNamesTheProjectVersionAndTheProtocol() throws Exception {
        CtlRun run = CtlRun.of("--version");
        assertEquals(SysExits.EX_OK, run.exitCode(), run.toString());
        assertEquals("hastctl " + projectVersion() + " (HAST protocol version 2)\n", run.out());
        assertEquals("", run.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {"help", "--help"})
    void overviewListsEveryCommand(String word) {
        CtlRun run = CtlRun.of(word);
        assertEquals(SysExits.EX_OK, run.exitCode(), run.toString());
        for (String command : CommandHelp.commands()) {
            assertTrue(run.out().contains("\n  " + command + " "), command + "\n" + run);
        }
        assertEquals("", run.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {"create", "role", "list", "status", "dump", "stop"})
    void commandHelpBothWays(String command) {
        CtlRun viaHelp = CtlRun.of("help", command);
        CtlRun viaOption = CtlRun.of(command, "--help");
        assertEquals(SysExits.EX_OK, viaHelp.exitCode(), viaHelp.toString());
        assertEquals(SysExits.EX_OK, viaOption.exitCode(), viaOption.toString());
        assertTrue(viaHelp.out().startsWith("usage: hastctl " + command + " "), viaHelp.toString());
        assertTrue(viaHelp.out().contains("  -c config "), viaHelp.toString());
        assertEquals(viaHelp.out(), viaOption.out());
    }

    @Test
    void createHelpExplainsItsOwnOptions() {
        String out = CtlRun.of("help", "create").out();
        for (String option : new String[] {"-e extentsize", "-k keepdirty", "-m mediasize"}) {
            assertTrue(out.contains("  " + option + " "), option + "\n" + out);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nosuch", "help"})
    void helpOnAnUnknownCommandIsUsage(String command) {
        CtlRun run = CtlRun.of("help", command);
        assertEquals(SysExits.EX_USAGE, run.exitCode(), run.toString());
        assertTrue(run.err().startsWith("usage: hastctl create"), run.toString());
        assertEquals("", run.out());
    }

    @Test
    void dashHStillWinsOverHelp() {
        CtlRun run = CtlRun.of("status", "--help", "-h");
        assertEquals(SysExits.EX_USAGE, run.exitCode(), run.toString());
    }

    /** The parent pom's own version, the one the build filters into version.properties. */
    static String projectVersion() throws Exception {
        String pom = Files.readString(Requirements.projectRoot().resolve("pom.xml"));
        int artifact = pom.indexOf("<artifactId>hast-parent</artifactId>");
        int start = pom.indexOf("<version>", artifact) + "<version>".length();
        return pom.substring(start, pom.indexOf("</version>", start));
    }
}
