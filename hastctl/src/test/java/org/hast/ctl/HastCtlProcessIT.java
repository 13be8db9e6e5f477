package org.hast.ctl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.hast.testing.Processes;
import org.hast.testing.Requirements;
import org.hast.util.SysExits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real {@code bin/hastctl} launcher as a process: exit codes and one-line errors. */
class HastCtlProcessIT {
    private static final Duration LIMIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private static Processes.Result hastctl(Map<String, String> env, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>();
        command.add(Requirements.projectRoot().resolve("bin/hastctl").toString());
        command.addAll(List.of(args));
        return Processes.run(command, env, LIMIT);
    }

    @Test
    void helpIsUsageOnStderr() throws Exception {
        Processes.Result result = hastctl(Map.of(), "-h");
        assertEquals(SysExits.EX_USAGE, result.exitCode(), result.toString());
        assertEquals("", result.stdout());
        assertTrue(result.stderr().startsWith("usage: hastctl create"), result.toString());
    }

    @Test
    void statusWithoutDaemonIsOneLineOsErr() throws Exception {
        Path config = dir.resolve("hast.conf");
        Files.writeString(config, "control " + dir.resolve("ctl.sock") + "\n"
                + "resource r0 { on nodeA { local /dev/null remote none } }\n");
        Processes.Result result = hastctl(Map.of("HAST_NODE", "nodeA"), "status", "-c", config.toString());
        assertEquals(SysExits.EX_OSERR, result.exitCode(), result.toString());
        assertEquals(List.of("[ERROR] Unable to connect to hastd via " + dir.resolve("ctl.sock")
                + ": No such file or directory."), result.stderrLines());
    }

    @Test
    void configForAnotherNodeIsConfigError() throws Exception {
        Path config = dir.resolve("hast.conf");
        Files.writeString(config, "resource r0 {\n on nodeB { local /dev/null remote none }\n}\n");
        Processes.Result result = hastctl(Map.of("HAST_NODE", "nodeA"), "status", "-c", config.toString());
        assertEquals(SysExits.EX_CONFIG, result.exitCode(), result.toString());
        assertEquals(1, result.stderrLines().size(), result.toString());
        assertTrue(result.stderr().contains(":3: No resource r0 configuration for this node"), result.toString());
    }

    @Test
    void createAndDumpOnLoopDevice() throws Exception {
        Requirements.requireRoot();
        Path losetup = Requirements.requireTool("losetup", "util-linux");
        Path image = dir.resolve("loop.img");
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(64L << 20);
        }
        Processes.Result attach = Processes.run(List.of(losetup.toString(), "--find", "--show", image.toString()),
                Map.of(), LIMIT);
        Requirements.require(attach.exitCode() == 0, "losetup cannot attach a loop device: " + attach.stderr().trim());
        String device = attach.stdout().trim();
        try {
            Path config = dir.resolve("hast.conf");
            Files.writeString(config, "resource test {\n on nodeA { local " + device + " remote none }\n}\n");
            Processes.Result create = hastctl(Map.of("HAST_NODE", "nodeA"), "create", "-c", config.toString(), "test");
            assertEquals(0, create.exitCode(), create.toString());
            Processes.Result dump = hastctl(Map.of("HAST_NODE", "nodeA"), "dump", "-c", config.toString());
            assertEquals(0, dump.exitCode(), dump.toString());
            assertEquals(Files.readString(Requirements.vector("metadata/default_64M.dump.txt")), dump.stdout());
            byte[] expected = Files.readAllBytes(Requirements.vector("metadata/default_64M.zeroed.bin"));
            byte[] written = new byte[expected.length];
            try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "r")) {
                file.readFully(written);
            }
            assertArrayEquals(expected, written);
        } finally {
            Processes.run(List.of(losetup.toString(), "-d", device), Map.of(), LIMIT);
        }
    }
}
