package org.hast.activemap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.hast.testing.Requirements;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Replays {@code vectors/activemap/}: the reference {@code activemap.c} driven call by call
 * ({@code harness/}), and the bitmaps a reference primary left on disk after each write
 * ({@code daemon_connected/}, {@code daemon_degraded/}). All use extent size 65536 and
 * 512-byte sectors.
 */
class ActiveMapVectorTest {
    private static final int EXTENT = 65536;
    private static final int SECTOR = 512;
    /** 64 MiB file minus metadata and a 512-byte map: 1024 extents, the last one shorter. */
    private static final long DATASIZE_64M = 67104256L;

    private static final Pattern HEADER = Pattern.compile("mapsize=(\\d+) ondisk=(\\d+)");
    private static final Pattern CALL = Pattern.compile("([sc]):(\\d+):(\\d+) -> (flush-needed|no-flush)");
    private static final Pattern DUMP = Pattern.compile("dump (\\S+) \\((\\d+) bytes\\) ndirty=(\\d+)");

    private static byte[] read(String relative) throws IOException {
        return Files.readAllBytes(Requirements.vector("activemap/" + relative));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"seq_k4", "inflight_k4", "evict_k2", "big_1G_k8"})
    void harnessReplay(String name) throws IOException {
        int keepDirty = Integer.parseInt(name.substring(name.lastIndexOf('k') + 1));
        long dataSize = name.startsWith("big_1G") ? 1L << 30 : DATASIZE_64M;
        ActiveMap map = new ActiveMap(dataSize, EXTENT, keepDirty, SECTOR);
        Path log = Requirements.vector("activemap/harness/" + name + ".txt");
        List<String> lines = Files.readAllLines(log);
        Matcher header = HEADER.matcher(lines.get(0));
        assertTrue(header.matches(), lines.get(0));
        assertEquals(Integer.parseInt(header.group(1)), map.mapSize(), "mapsize");
        assertEquals(Integer.parseInt(header.group(2)), map.onDiskSize(), "ondisk");
        int calls = 0;
        int dumps = 0;
        for (String line : lines.subList(1, lines.size())) {
            Matcher call = CALL.matcher(line);
            Matcher dump = DUMP.matcher(line);
            if (call.matches()) {
                long off = Long.parseLong(call.group(2));
                long len = Long.parseLong(call.group(3));
                boolean flush = call.group(1).equals("s") ? map.writeStart(off, len)
                        : map.writeComplete(off, len);
                assertEquals(call.group(4).equals("flush-needed"), flush, line);
                calls++;
            } else if (dump.matches()) {
                byte[] expected = read("harness/" + dump.group(1));
                assertEquals(Integer.parseInt(dump.group(2)), expected.length);
                assertArrayEquals(expected, bytes(map.bitmap()), line);
                String zeroed = dump.group(1).replace(".bin", ".zeroed.bin");
                assertArrayEquals(read("harness/" + zeroed), bytes(map.bitmap()), zeroed);
                assertEquals(Long.parseLong(dump.group(3)), map.dirtyExtents(), line);
                dumps++;
            } else {
                throw new AssertionError("unparsed line in " + log + ": " + line);
            }
        }
        assertTrue(calls > 0 && dumps > 0);
    }

    /** The NBD writes of daemon_connected and daemon_degraded (nbd_ops.txt, "w:OFF:LEN:byte"). */
    private static final long[][] DAEMON_WRITES = {
        {0, 4096}, {65536, 65536}, {192512, 8192}, {1048576, 4096}, {5242880, 4096},
        {10485760, 131072},
    };
    private static final String[] DAEMON_MAPS = {
        "map_1_after_write_off0_len4096.bin", "map_2_after_write_off65536_len65536.bin",
        "map_3_after_write_off192512_len8192.bin", "map_4_after_write_off1048576_len4096.bin",
        "map_5_after_write_off5242880_len4096.bin", "map_6_after_write_off10485760_len131072.bin",
    };

    @Test
    void daemonOpsMatchTheWritesReplayedHere() throws IOException {
        for (String dir : new String[] {"daemon_connected", "daemon_degraded"}) {
            List<String> ops = Files.readAllLines(Requirements.vector("activemap/" + dir + "/nbd_ops.txt"))
                    .stream().filter(l -> l.startsWith("w:")).toList();
            assertEquals(DAEMON_WRITES.length, ops.size());
            for (int i = 0; i < ops.size(); i++) {
                String[] f = ops.get(i).split(":");
                assertEquals(DAEMON_WRITES[i][0], Long.parseLong(f[1]));
                assertEquals(DAEMON_WRITES[i][1], Long.parseLong(f[2]));
            }
        }
    }

    @Test
    void daemonConnected() throws IOException {
        ActiveMap map = new ActiveMap(DATASIZE_64M, EXTENT, 4, SECTOR);
        assertEquals(512, map.onDiskSize());
        assertArrayEquals(read("daemon_connected/map_0_start.bin"), bytes(map.bitmap()));
        int updates = 0;
        for (int i = 0; i < DAEMON_WRITES.length; i++) {
            long off = DAEMON_WRITES[i][0];
            long len = DAEMON_WRITES[i][1];
            updates += map.writeStart(off, len) ? 1 : 0;
            updates += map.writeComplete(off, len) ? 1 : 0;
            assertArrayEquals(read("daemon_connected/" + DAEMON_MAPS[i]), bytes(map.bitmap()),
                    DAEMON_MAPS[i]);
        }
        // After a clean stop the keepdirty extents are still set on disk.
        assertArrayEquals(read("daemon_connected/map_7_after_shutdown.bin"), bytes(map.bitmap()));
        // list_A.txt: "dirty: 0 (0B)", "activemap updates: 6".
        assertEquals(0, map.dirtyBytes());
        assertEquals(6, updates);
    }

    @Test
    void daemonDegraded() throws IOException {
        // The secondary never ran: each write's remote send fails at once (ENOTCONN), so
        // need_sync marks its extents between write_start and write_complete.
        ActiveMap map = new ActiveMap(DATASIZE_64M, EXTENT, 4, SECTOR);
        assertArrayEquals(read("daemon_degraded/map_0_start.bin"), bytes(map.bitmap()));
        for (int i = 0; i < DAEMON_WRITES.length; i++) {
            long off = DAEMON_WRITES[i][0];
            long len = DAEMON_WRITES[i][1];
            map.writeStart(off, len);
            assertTrue(map.needSync(off, len));
            assertFalse(map.writeComplete(off, len), "extents stay dirty");
            assertArrayEquals(read("daemon_degraded/" + DAEMON_MAPS[i]), bytes(map.bitmap()),
                    DAEMON_MAPS[i]);
        }
        assertArrayEquals(read("daemon_degraded/map_7_after_shutdown.bin"), bytes(map.bitmap()));
        // list_A.txt: "dirty: 524288 (512KB)": extents 0, 1, 2, 3, 16, 80, 160, 161.
        assertEquals(524288, map.dirtyBytes());
        assertEquals(8, map.syncPendingExtents());
    }

    static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
