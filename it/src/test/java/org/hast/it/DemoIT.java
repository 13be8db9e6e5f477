package org.hast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.hast.testing.Processes;
import org.hast.testing.Requirements;
import org.junit.jupiter.api.Test;

/** The README's main command runs to its success line (issue #9), on the build under test. */
class DemoIT {
    @Test
    void theDemoEndsWithItsSuccessLine() throws Exception {
        Requirements.requireTool("qemu-io", "qemu-utils");
        Path dir = Path.of(System.getProperty("user.dir"), "target", "demo");
        Files.createDirectories(dir.getParent());
        Processes.Result r = Processes.run(List.of(Requirements.projectRoot().resolve("scripts/demo").toString()),
                Map.of("HAST_DEMO_NO_BUILD", "1", "HAST_DEMO_DIR", dir.toString()), Duration.ofMinutes(4));
        assertEquals(0, r.exitCode(), r.toString());
        List<String> lines = r.stdout().lines().toList();
        assertTrue(lines.get(lines.size() - 1).startsWith("demo: OK:"), r.toString());
        assertTrue(Files.notExists(dir), "the demo cleans up after itself");
    }
}
