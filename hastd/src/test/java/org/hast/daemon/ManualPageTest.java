package org.hast.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import org.hast.testing.Requirements;
import org.junit.jupiter.api.Test;

import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** hastd(8) names every option hastd accepts (the internal daemon-child flag excepted). */
class ManualPageTest {
    @Test
    void everyOptionIsNamed() throws Exception {
        String page = Files.readString(Requirements.projectRoot().resolve("docs/man/hastd.8"));
        List<String> missing = new ArrayList<>();
        for (OptionSpec option : new CommandLine(new HastdOptions()).getCommandSpec().options()) {
            if (option.hidden()) {
                continue;
            }
            for (String name : option.names()) {
                String flag = name.startsWith("--") ? "Fl \\-" + name.substring(2) : "Fl " + name.substring(1);
                if (!page.contains(flag)) {
                    missing.add(name);
                }
            }
        }
        assertEquals(List.of(), missing, "hastd options missing from docs/man/hastd.8");
    }
}
