package org.hast.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.hast.testing.Requirements;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code bench/run} without running a benchmark: its own self-check (argument parsing; the table,
 * ratios and target verdicts computed from a made-up sample file) and its usage errors. About a
 * second; starts no server.
 */
class BenchRunTest {
    private record Result(int exit, String stdout, String stderr) {
    }

    @BeforeEach
    void tools() {
        Requirements.requireTool("bash", "bash");
        Requirements.requireTool("python3", "python3");
        Requirements.requireTool("numfmt", "coreutils");
    }

    @Test
    void selfCheckPasses() throws Exception {
        Result result = run("--self-check");
        assertEquals(0, result.exit(), result.stderr());
        assertTrue(result.stdout().contains("report.py self-check: ok"), result.stdout());
        assertTrue(result.stdout().contains("bench/run self-check: ok"), result.stdout());
    }

    @Test
    void unknownSystemIsAUsageErrorNamingIt() throws Exception {
        Result result = run("--only", "fullsync,drbd");
        assertEquals(64, result.exit());
        assertTrue(result.stderr().contains("--only: unknown 'drbd'"), result.stderr());
    }

    @Test
    void reportWithoutSamplesIsANoInputError() throws Exception {
        List<String> command = List.of("python3", Requirements.projectRoot().resolve("bench/report.py").toString(),
                Requirements.projectRoot().resolve("bench").toString());
        Result result = exec(command);
        assertEquals(66, result.exit());
        assertTrue(result.stderr().contains("no samples.jsonl"), result.stderr());
    }

    private static Result run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("bash");
        command.add(Requirements.projectRoot().resolve("bench/run").toString());
        command.addAll(List.of(args));
        return exec(command);
    }

    private static Result exec(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).start();
        process.getOutputStream().close();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("no exit within 60 s: " + command);
        }
        return new Result(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }
}
