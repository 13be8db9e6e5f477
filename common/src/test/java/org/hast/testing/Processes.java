package org.hast.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs a real program (bin/hastctl, bin/hastd, an NBD client) to completion with a time limit and
 * captures what it printed. A program still running at the limit is killed (by its own PID,
 * which this class started) and the result says so.
 */
public final class Processes {
    private Processes() {
    }

    /** What a finished program left behind. */
    public record Result(int exitCode, String stdout, String stderr, boolean timedOut) {
        /** stderr's lines, for "exactly one line" checks. */
        public List<String> stderrLines() {
            return stderr.lines().toList();
        }

        @Override
        public String toString() {
            return "exit " + exitCode + (timedOut ? " (timed out)" : "") + "\n--- stdout\n" + stdout
                    + "--- stderr\n" + stderr;
        }
    }

    public static Result run(List<String> command, Map<String, String> extraEnv, Duration limit)
            throws IOException, InterruptedException {
        return run(command, extraEnv, null, limit);
    }

    public static Result run(List<String> command, Map<String, String> extraEnv, Path workDir, Duration limit)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(command));
        builder.environment().remove("HAST_NODE");
        builder.environment().putAll(extraEnv);
        if (workDir != null) {
            builder.directory(workDir.toFile());
        }
        builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process process = builder.start();
        CompletableFuture<String> out = drain(process.getInputStream());
        CompletableFuture<String> err = drain(process.getErrorStream());
        boolean finished = process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
        if (!finished) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        return new Result(finished ? process.exitValue() : -1, out.join(), err.join(), !finished);
    }

    private static CompletableFuture<String> drain(InputStream stream) {
        return CompletableFuture.supplyAsync(() -> {
            try (stream) {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "<unreadable: " + e + ">";
            }
        });
    }
}
