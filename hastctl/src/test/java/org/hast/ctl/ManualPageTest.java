package org.hast.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import org.hast.testing.Processes;
import org.hast.testing.Requirements;
import org.junit.jupiter.api.Test;

import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * hastctl(8) cannot drift from the code: every sub-command hastctl dispatches (and {@code help})
 * has an entry, every option of every command is named, every command has a long help; and
 * the three manual pages format without a groff warning.
 */
class ManualPageTest {
    private static final List<String> PAGES = List.of("hastctl.8", "hastd.8", "hast.conf.5");

    private static String page(String name) throws Exception {
        return Files.readString(Requirements.projectRoot().resolve("docs/man").resolve(name));
    }

    @Test
    void everySubCommandHasAnEntryAndAHelpText() throws Exception {
        String page = page("hastctl.8");
        List<String> missing = new ArrayList<>();
        List<String> commands = new ArrayList<>(new TreeSet<>(HastCtl.COMMANDS.keySet()));
        commands.add("help");
        for (String command : commands) {
            if (!Pattern.compile("(?m)^\\.It Cm " + command + "(\\s|$)").matcher(page).find()) {
                missing.add(command + " (no .It Cm entry)");
            }
            if (!command.equals("help") && !CommandHelp.has(command)) {
                missing.add(command + " (no long help)");
            }
        }
        assertEquals(List.of(), missing, "hastctl sub-commands missing from docs/man/hastctl.8");
    }

    @Test
    void everyOptionHasAnEntry() throws Exception {
        String page = page("hastctl.8");
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, Supplier<CtlCommand>> command : HastCtl.COMMANDS.entrySet()) {
            for (OptionSpec option : new CommandLine(command.getValue().get()).getCommandSpec().options()) {
                for (String name : option.names()) {
                    String flag = Pattern.quote(name.substring(1).replace("-", "\\-"));
                    if (!Pattern.compile("(?m)^\\.It Fl " + flag + "(\\s|$)").matcher(page).find()) {
                        missing.add(command.getKey() + " " + name);
                    }
                }
            }
        }
        assertEquals(List.of(), missing, "hastctl options missing from docs/man/hastctl.8");
    }

    @Test
    void pagesFormatWithoutWarnings() throws Exception {
        Requirements.requireTool("groff", "groff-base");
        for (String name : PAGES) {
            Path file = Requirements.projectRoot().resolve("docs/man").resolve(name);
            Processes.Result result = Processes.run(List.of("groff", "-ww", "-mandoc", "-Tutf8", "-z", file.toString()),
                    Map.of(), java.time.Duration.ofSeconds(60));
            assertEquals(0, result.exitCode(), name + ": " + result);
            assertEquals("", result.stderr(), name + ": " + result);
        }
    }
}
