package org.hast.device.nbd;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.hast.testing.Processes;
import org.hast.testing.Requirements;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's NBD clients against our server: libnbd's nbdinfo and nbdcopy, qemu-io and fio's
 * nbd engine. Each test skips when its tool is missing, or fails under HAST_E2E_REQUIRED=1.
 */
@Timeout(120)
@ExtendWith(NbdLeaks.class)
class NbdRealClientsTest {
    private static final Duration LIMIT = Duration.ofSeconds(90);

    @TempDir
    Path dir;
    private NbdFixture fx;

    @AfterEach
    void stop() throws Exception {
        if (fx != null) {
            fx.close();
        }
    }

    private static Processes.Result run(String... command) throws Exception {
        Processes.Result r = Processes.run(List.of(command), Map.of(), LIMIT);
        assertFalse(r.timedOut(), "timed out: " + String.join(" ", command));
        assertEquals(0, r.exitCode(), String.join(" ", command) + "\n" + r);
        return r;
    }

    @Test
    void nbdinfoShowsSizeAndFlags() throws Exception {
        Requirements.requireTool("nbdinfo", "libnbd-bin");
        fx = new NbdFixture(dir, 64L << 20);
        String out = run("nbdinfo", "--json", fx.uri()).stdout();
        assertTrue(out.contains("\"export-size\": 67108864"), out);
        for (String yes : new String[] {"can_flush", "can_fua", "can_trim", "can_zero", "can_fast_zero",
            "can_multi_conn"}) {
            assertTrue(out.contains("\"" + yes + "\": true"), yes + " in\n" + out);
        }
        for (String no : new String[] {"is_read_only", "can_cache", "can_df"}) {
            assertTrue(out.contains("\"" + no + "\": false"), no + " in\n" + out);
        }
        assertTrue(out.contains("\"block_size_minimum\": 1"), out);
        assertTrue(out.contains("\"block_size_maximum\": 33554432"), out);
        // --list goes through LIST and INFO
        String list = run("nbdinfo", "--list", "--json", "nbd+unix:///?socket=" + fx.socket).stdout();
        assertTrue(list.contains("\"export-name\": \"res0\""), list);
    }

    @Test
    void qemuIoPatternsDiscardFlushUnalignedAndTheLastByte() throws Exception {
        Requirements.requireTool("qemu-io", "qemu-utils");
        fx = new NbdFixture(dir, 8L << 20);
        String image = "driver=nbd,server.type=unix,server.path=" + fx.socket + ",export=" + NbdFixture.EXPORT;
        String out = run("qemu-io", "--image-opts", image,
                "-c", "write -P 0xab 0 1M",
                "-c", "read -P 0xab 0 1M",
                "-c", "write -P 0xcd 513 1000",
                "-c", "read -P 0xcd 513 1000",
                "-c", "read -P 0xab 0 513",
                "-c", "read -P 0xab 1513 1000",
                "-c", "discard 4096 4096",
                "-c", "read -P 0 4096 4096",
                "-c", "write -z 8192 8192",
                "-c", "read -P 0 8192 8192",
                "-c", "write -P 0x5a 8388607 1",
                "-c", "read -P 0x5a 8388607 1",
                "-c", "flush").stdout();
        assertFalse(out.contains("Pattern verification failed"), out);
        assertFalse(out.toLowerCase().contains("error"), out);
        byte[] file = fx.fileBytes();
        assertEquals((byte) 0xab, file[512]);
        assertEquals((byte) 0xcd, file[513]);
        assertEquals((byte) 0xcd, file[1512]);
        assertEquals((byte) 0xab, file[1513]);
        assertEquals(0, file[5000]);
        assertEquals(0x5a, file[(8 << 20) - 1]);
        assertTrue(fx.fileBackend.flushes.get() >= 1, "qemu-io flush reached the backend");
        // beyond the end: qemu refuses before sending, or we answer an error; never a success
        Processes.Result beyond = Processes.run(List.of("qemu-io", "--image-opts", image, "-c",
                "read 8388607 2"), Map.of(), LIMIT);
        assertTrue(beyond.exitCode() != 0 || !(beyond.stdout() + beyond.stderr()).contains("read 2/2"),
                beyond.toString());
    }

    @Test
    void nbdcopyInAndOutIsByteExact() throws Exception {
        Requirements.requireTool("nbdcopy", "libnbd-bin");
        long size = 64L << 20;
        fx = new NbdFixture(dir, size);
        Path source = dir.resolve("source.bin");
        byte[] random = new byte[(int) size];
        new Random(20240601).nextBytes(random);
        // a zero stretch, so nbdcopy's zero detection sends WRITE_ZEROES / TRIM too
        Arrays.fill(random, 1 << 20, 3 << 20, (byte) 0);
        Files.write(source, random);
        Files.write(fx.file, new byte[(int) size]); // not needed, but start from known contents
        run("nbdcopy", source.toString(), fx.uri());
        assertArrayEquals(random, fx.fileBytes(), "copy in");
        Path back = dir.resolve("back.bin");
        run("nbdcopy", fx.uri(), back.toString());
        assertArrayEquals(random, Files.readAllBytes(back), "copy out");
    }

    @Test
    void fioRandomWritesVerifyAtIodepth32() throws Exception {
        Requirements.requireTool("fio", "fio");
        fx = new NbdFixture(dir, 32L << 20);
        List<String> cmd = new ArrayList<>(List.of("fio", "--name=nbd-verify", "--ioengine=nbd",
                "--uri=nbd+unix:///" + NbdFixture.EXPORT + "?socket=" + fx.socket, "--rw=randwrite", "--bs=4k",
                "--iodepth=32", "--size=32M", "--verify=crc32c", "--do_verify=1", "--verify_fatal=1",
                "--verify_state_save=0", "--output-format=terse"));
        Processes.Result r = run(cmd.toArray(new String[0]));
        // terse v3: 3;version;job;group;error;read KiB;...: the verify pass read back all 32 MiB
        String terse = r.stdout().lines().filter(l -> l.startsWith("3;")).findFirst().orElseThrow();
        String[] fields = terse.split(";");
        assertEquals("0", fields[4], "fio error field: " + r);
        assertEquals("32768", fields[5], "KiB read back by the verify pass: " + r);
    }
}
