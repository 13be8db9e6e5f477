package org.hast.ctl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import org.hast.testing.Requirements;
import org.hast.util.SysExits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code hastctl create} and {@code dump} against the reference (vectors/metadata): the same
 * file size and options must give the same bytes on disk and the same dump text.
 */
class CreateDumpVectorsTest {
    @TempDir
    Path dir;

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("default_64M", 64L << 20, new String[] {}),
                Arguments.of("e64k_k8_64M", 64L << 20, new String[] {"-e", "65536", "-k", "8"}),
                Arguments.of("e64k_k8_1G", 1L << 30, new String[] {"-e", "65536", "-k", "8"}),
                Arguments.of("e4k_64M", 64L << 20, new String[] {"-e", "4096"}),
                Arguments.of("m32M_file64M", 64L << 20, new String[] {"-m", "32M"}),
                Arguments.of("odd_10000000", 10_000_000L, new String[] {}),
                Arguments.of("e1m_k1_10M", 10L << 20, new String[] {"-e", "1M", "-k", "1"}));
    }

    private Path setUp(long size) throws Exception {
        Path disk = dir.resolve("disk.img");
        try (RandomAccessFile file = new RandomAccessFile(disk.toFile(), "rw")) {
            file.setLength(size);
        }
        Path config = dir.resolve("hast.conf");
        Files.writeString(config, "resource test {\n  on nodeA {\n    local " + disk
                + "\n    remote tcp4://127.0.0.1:8458\n  }\n}\n");
        return config;
    }

    private static String[] args(String command, Path config, String[] options) {
        List<String> args = new ArrayList<>();
        args.add(command);
        args.add("-c");
        args.add(config.toString());
        args.addAll(Arrays.asList(options));
        args.add("test");
        return args.toArray(new String[0]);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void createWritesReferenceBytesAndDumpPrintsReferenceText(String name, long size, String[] options)
            throws Exception {
        byte[] expected = Files.readAllBytes(Requirements.vector("metadata/" + name + ".zeroed.bin"));
        String expectedDump = Files.readString(Requirements.vector("metadata/" + name + ".dump.txt"));
        Path config = setUp(size);

        CtlRun create = CtlRun.of(args("create", config, options));
        assertEquals(0, create.exitCode(), create.toString());
        assertEquals("", create.out() + create.err());

        byte[] written = new byte[expected.length];
        try (RandomAccessFile file = new RandomAccessFile(dir.resolve("disk.img").toFile(), "r")) {
            file.readFully(written);
            assertEquals(size, file.length(), "create must not change the file size");
        }
        assertArrayEquals(expected, written);

        CtlRun dump = CtlRun.of(args("dump", config, new String[0]));
        assertEquals(0, dump.exitCode(), dump.toString());
        assertEquals(expectedDump, dump.out());
    }

    @Test
    void extentNotMultipleOfSector() throws Exception {
        Path config = setUp(64L << 20);
        CtlRun run = CtlRun.of(args("create", config, new String[] {"-e", "1000"}));
        String reference = Files.readString(Requirements.vector("metadata/err_e1000.create.txt"));
        assertEquals(reference, run.err() + "exit=" + run.exitCode() + "\n");
    }

    @Test
    void mediaSizeLargerThanProvider() throws Exception {
        Path config = setUp(64L << 20);
        CtlRun run = CtlRun.of(args("create", config, new String[] {"-m", "128M"}));
        String reference = Files.readString(Requirements.vector("metadata/err_m_too_big.create.txt"))
                .replace("/var/lib/hast/vectors/run/meta/err_m_too_big.img", dir.resolve("disk.img").toString());
        assertEquals(reference, run.err() + "exit=" + run.exitCode() + "\n");
    }

    @Test
    void missingProviderIsNoInput() throws Exception {
        Path config = dir.resolve("hast.conf");
        Files.writeString(config, "resource test {\n on nodeA { local " + dir.resolve("absent")
                + " remote none }\n}\n");
        CtlRun run = CtlRun.of("create", "-c", config.toString(), "test");
        assertEquals(SysExits.EX_NOINPUT, run.exitCode(), run.toString());
        assertEquals(1, run.err().lines().count(), run.toString());
        assertEquals(SysExits.EX_NOINPUT, CtlRun.of("dump", "-c", config.toString()).exitCode());
    }

    @Test
    void dumpOfUninitialisedComponentIsNoInput() throws Exception {
        Path config = setUp(1L << 20);
        CtlRun run = CtlRun.of(args("dump", config, new String[0]));
        assertEquals(SysExits.EX_NOINPUT, run.exitCode(), run.toString());
        assertEquals(1, run.err().lines().count(), run.toString());
        assertEquals("", run.out());
    }

    @Test
    void unknownResourceIsDataErrButOthersStillRun() throws Exception {
        Path config = setUp(64L << 20);
        CtlRun run = CtlRun.of("create", "-c", config.toString(), "nosuch", "test");
        assertEquals(SysExits.EX_DATAERR, run.exitCode(), run.toString());
        assertEquals("[ERROR] Unknown resource nosuch.\n", run.err());
        CtlRun dump = CtlRun.of("dump", "-c", config.toString(), "all");
        assertEquals(0, dump.exitCode(), dump.toString());
        assertEquals("resource: test", dump.out().lines().findFirst().orElse(""));
    }

    @Test
    void dumpShowsEveryResourceInFileOrder() throws Exception {
        Path a = dir.resolve("a.img");
        Path b = dir.resolve("b.img");
        for (Path p : List.of(a, b)) {
            try (RandomAccessFile file = new RandomAccessFile(p.toFile(), "rw")) {
                file.setLength(4L << 20);
            }
        }
        Path config = dir.resolve("two.conf");
        Files.writeString(config, "resource zeta { on nodeA { local " + b + " remote none } }\n"
                + "resource alpha { on nodeA { local " + a + " remote none } }\n", StandardCharsets.UTF_8);
        assertEquals(0, CtlRun.of("create", "-c", config.toString(), "alpha", "zeta").exitCode());
        CtlRun dump = CtlRun.of("dump", "-c", config.toString());
        assertEquals(List.of("resource: zeta", "resource: alpha"),
                dump.out().lines().filter(l -> l.startsWith("resource:")).toList());
    }
}
