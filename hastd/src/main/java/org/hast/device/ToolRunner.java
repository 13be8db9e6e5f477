package org.hast.device;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the system tools the bridges need (losetup, fusermount3, mount, modprobe) with a bound
 * on their run time. Output goes to temporary files rather than pipes: nothing has to drain a
 * pipe while we wait, and a tool stuck in the kernel cannot block us on a read.
 */
final class ToolRunner {
    /** What a finished tool left behind. */
    record Result(String tool, int exitCode, String stdout, String stderr) {
        boolean ok() {
            return exitCode == 0;
        }

        /** {@code losetup exited 1: losetup: /x: failed to set up loop device: ...}. */
        String failureLine() {
            return tool + " exited " + exitCode + ": " + firstLine(stderr.isBlank() ? stdout : stderr);
        }
    }

    private ToolRunner() {
    }

    /** Runs {@code argv} to its end (at most {@code timeoutMillis}); any exit code is returned. */
    static Result run(long timeoutMillis, List<String> argv) throws IOException {
        String tool = Path.of(argv.get(0)).getFileName().toString();
        Path out = Files.createTempFile("hast-tool-", ".out");
        Path err = Files.createTempFile("hast-tool-", ".err");
        try {
            ProcessBuilder builder = new ProcessBuilder(argv)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            Process process;
            try {
                process = builder.start();
            } catch (IOException e) {
                throw new IOException(tool + " could not be started: " + e.getMessage(), e);
            }
            boolean exited;
            try {
                exited = process.waitFor(timeoutMillis, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException(tool + " interrupted", e);
            }
            if (!exited) {
                // Our own child, by its handle. A tool stuck in D state ignores even this, but we
                // stop waiting for it either way.
                process.destroyForcibly();
                throw new IOException(tool + " did not finish within " + timeoutMillis + " ms: "
                        + firstLine(Files.readString(err, StandardCharsets.UTF_8)));
            }
            return new Result(tool, process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** Runs {@code argv}; a non-zero exit becomes one line naming the tool, code and stderr. */
    static String check(long timeoutMillis, List<String> argv) throws IOException {
        Result result = run(timeoutMillis, argv);
        if (!result.ok()) {
            throw new IOException(result.failureLine());
        }
        return result.stdout();
    }

    static String firstLine(String text) {
        for (String line : text.split("\n")) {
            if (!line.isBlank()) {
                return line.strip();
            }
        }
        return "(no output)";
    }
}
