package org.hast.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import org.hast.testing.Requirements;
import org.junit.jupiter.api.Test;

import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** hastd(8) has an entry for every option hastd accepts (the internal daemon-child flag excepted). */
class ManualPageTest {
    @Test
    void everyOptionHasAnEntry() throws Exception {
        String page = Files.readString(Requirements.projectRoot().resolve("docs/man/hastd.8"));
        List<String> missing = new ArrayList<>();
        for (OptionSpec option : new CommandLine(new HastdOptions()).getCommandSpec().options()) {
            if (option.hidden()) {
                continue;
            }
            for (String name : option.names()) {
                String flag = name.startsWith("--") ? "\\-" + name.substring(2) : name.substring(1);
                if (!Pattern.compile("(?m)^\\.It Fl " + Pattern.quote(flag) + "(\\s|$)").matcher(page).find()) {
                    missing.add(name);
                }
            }
        }
        assertEquals(List.of(), missing, "hastd options missing from docs/man/hastd.8");
    }
}
