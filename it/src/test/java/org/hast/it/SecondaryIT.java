package org.hast.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.hast.codec.ChecksumAlgorithm;
import org.hast.codec.Compression;
import org.hast.codec.PayloadCodec;
import org.hast.nv.NvWriter;
import org.hast.proto.HandshakeTokenReply;
import org.hast.proto.PayloadFields;
import org.hast.proto.RequestHeader;
import org.hast.proto.SyncSource;
import org.hast.testing.HastCluster;
import org.hast.testing.HastNode;
import org.hast.testing.Processes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/** A real secondary hastd driven by a test primary over 127.0.0.1 (spec §3.5, §4, §11.7). */
class SecondaryIT {
    private static final long DISK = 16L << 20;
    private HastCluster cluster;
    private HastNode b;

    @BeforeEach
    void start(TestInfo test) throws Exception {
        cluster = HastCluster.create(test.getTestMethod().orElseThrow().getName(), 2);
        cluster.createDisks(DISK, "shared");
        cluster.writeConfig("", "", "shared");
        b = cluster.node(1);
        assertEquals(0, b.hastctl("create", "shared").exitCode());
        b.start();
    }

    @AfterEach
    void stop() throws Exception {
        cluster.close();
    }

    private long localOffset() throws Exception {
        String dump = b.hastctl("dump", "shared").stdout();
        return dump.lines().filter(l -> l.trim().startsWith("localoff: "))
                .mapToLong(l -> Long.parseLong(l.trim().substring(10))).findFirst().orElseThrow();
    }

    private static ByteBuffer pattern(int length, int seed) {
        byte[] bytes = new byte[length];
        byte[] line = ("HAST test line " + seed + " of a compressible pattern\n").getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < length; i++) {
            bytes[i] = line[i % line.length];
        }
        return ByteBuffer.wrap(bytes);
    }

    @Test
    void appliesWritesWithEveryCodecAndAnswersEachRequest() throws Exception {
        assertEquals(0, b.hastctl("role", "secondary", "shared").exitCode());
        long resuid = 0x1234_5678_9abc_def0L;
        try (TestPrimary primary = TestPrimary.connect(b.port(), "shared", resuid, 0, 0, true)) {
            assertEquals(2, primary.version);
            assertEquals(SyncSource.PRIMARY, primary.params.syncSrc());
            assertTrue(primary.params.virgin(), "a fresh secondary adopts the UID");
            assertEquals(0, primary.params.mapSize(), "a virgin primary gets no bitmap");

            List<long[]> written = new ArrayList<>();
            List<ByteBuffer> data = new ArrayList<>();
            long seq = 1;
            int length = 64 * 1024;
            for (ChecksumAlgorithm checksum : ChecksumAlgorithm.values()) {
                for (Compression compression : Compression.values()) {
                    long offset = (seq - 1) * length;
                    ByteBuffer block = compression == Compression.HOLE ? ByteBuffer.allocate(length)
                            : pattern(length, (int) seq);
                    primary.request(RequestHeader.write(seq, offset, length, false).toNv(), block.duplicate(),
                            new PayloadCodec(compression, checksum));
                    TestPrimary.Message reply = primary.reply();
                    assertEquals(seq, reply.nv().getUint64("seq"));
                    assertEquals(0, reply.nv().getInt16("error"), reply.nv().toString());
                    written.add(new long[] {offset, length});
                    data.add(block);
                    seq++;
                }
            }
            // memsync: "received" first, then the completion (spec §4.6).
            ByteBuffer memsyncBlock = pattern(4096, 99);
            long memsyncOffset = 12L << 20;
            primary.request(RequestHeader.write(100, memsyncOffset, 4096, true).toNv(), memsyncBlock.duplicate(),
                    new PayloadCodec());
            TestPrimary.Message early = primary.reply();
            assertEquals(100, early.nv().getUint64("seq"));
            assertTrue(early.nv().has("received"));
            TestPrimary.Message done = primary.reply();
            assertEquals(100, done.nv().getUint64("seq"));
            assertFalse(done.nv().has("received"));

            primary.request(RequestHeader.flush(101).toNv(), null, null);
            assertEquals(0, primary.reply().nv().getInt16("error"));

            primary.request(RequestHeader.delete(102, 0, length).toNv(), null, null);
            assertEquals(0, primary.reply().nv().getInt16("error"));

            primary.request(RequestHeader.read(103, length, length).toNv(), null, null);
            TestPrimary.Message read = primary.reply();
            assertEquals(103, read.nv().getUint64("seq"));
            PayloadFields fields = PayloadFields.fromNv(read.nv());
            ByteBuffer plain = new PayloadCodec().decode(fields.compression(), fields.checksum(), fields.hash(),
                    ByteBuffer.wrap(read.payload()), ByteBuffer.allocate(length));
            assertEquals(data.get(1).duplicate().rewind(), plain);

            // A13: an unknown command is refused, the link stays up.
            primary.request(new NvWriter().addUint8("cmd", 9).addUint64("seq", 104), null, null);
            TestPrimary.Message unknown = primary.reply();
            assertEquals(104, unknown.nv().getUint64("seq"));
            assertEquals(22, unknown.nv().getInt16("error"));
            // A write past the end is refused, its payload consumed, and the next request served.
            primary.request(RequestHeader.write(105, DISK, 4096, false).toNv(), pattern(4096, 1), new PayloadCodec());
            assertEquals(22, primary.reply().nv().getInt16("error"));
            primary.request(RequestHeader.flush(106).toNv(), null, null);
            TestPrimary.Message afterRefusal = primary.reply();
            assertEquals(106, afterRefusal.nv().getUint64("seq"));
            assertEquals(0, afterRefusal.nv().getInt16("error"));

            Processes.Result status = b.hastctl("status");
            assertTrue(status.stdout().contains("shared\tcomplete secondary"), status.toString());
            assertTrue(b.workers().stream().anyMatch(p -> p.info().commandLine().orElse("")
                    .contains("hastd: shared (secondary)")));

            long localOff = localOffset();
            try (RandomAccessFile file = new RandomAccessFile(b.disk("shared").toFile(), "r")) {
                for (int i = 0; i < written.size(); i++) {
                    byte[] onDisk = new byte[length];
                    file.seek(localOff + written.get(i)[0]);
                    file.readFully(onDisk);
                    byte[] expected = i == 0 ? new byte[length] : data.get(i).array();
                    assertArrayEquals(expected, onDisk, "write " + i + (i == 0 ? " (then deleted)" : ""));
                }
                byte[] onDisk = new byte[4096];
                file.seek(localOff + memsyncOffset);
                file.readFully(onDisk);
                assertArrayEquals(memsyncBlock.array(), onDisk);
            }
            assertTrue(b.hastctl("dump", "shared").stdout().contains("resuid: " + Long.toUnsignedString(resuid)));
        }
        // The primary went away: the worker ends and the resource waits for the next one.
        long deadline = System.currentTimeMillis() + 30_000;
        while (!b.workers().isEmpty() && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(b.workers().isEmpty(), b.logText());
        assertTrue(b.hastctl("status").stdout().contains("shared\t-        secondary"));
    }

    @Test
    void aDifferentResourceUidIsRefused() throws Exception {
        assertEquals(0, b.hastctl("role", "secondary", "shared").exitCode());
        try (TestPrimary first = TestPrimary.connect(b.port(), "shared", 1111, 0, 0, true)) {
            assertTrue(first.params.virgin());
        }
        long deadline = System.currentTimeMillis() + 30_000;
        while (!b.workers().isEmpty() && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        try (TestPrimary other = TestPrimary.connect(b.port(), "shared", 2222, 0, 0, false)) {
            assertTrue(other.params.isRefused());
            assertEquals("Resource unique ID mismatch (primary=2222, secondary=1111).", other.params.errmsg());
        }
        deadline = System.currentTimeMillis() + 30_000;
        while (!b.logText().contains("exitcode=78") && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(b.logText().contains("Resource unique ID mismatch (primary=2222, secondary=1111)."), b.logText());
        assertTrue(b.logText().contains("exitcode=78"), b.logText());
    }

    @Test
    void anUnknownPeerIsClosedSilently() throws Exception {
        assertEquals(0, b.hastctl("role", "secondary", "shared").exitCode());
        try (java.net.Socket stranger = new java.net.Socket()) {
            // Loopback has 127/8: 127.0.0.2 is a real local address that no remote names.
            stranger.bind(new java.net.InetSocketAddress("127.0.0.2", 0));
            stranger.connect(new java.net.InetSocketAddress("127.0.0.1", b.port()), 10_000);
            stranger.setSoTimeout(30_000);
            TestPrimary.send(stranger.getOutputStream(), 1, org.hast.proto.HandshakeFirst.of("shared").toNv(), null);
            int first;
            try {
                first = stranger.getInputStream().read();
            } catch (java.net.SocketException reset) {
                // Closed with our header unread: the kernel answers with a reset. Still no reply.
                first = -1;
            }
            assertEquals(-1, first, "closed without a reply");
        }
        assertTrue(b.logText().contains("Client tcp4://127.0.0.2:"), b.logText());
        assertTrue(b.logText().contains("isn't known."), b.logText());
    }

    @Test
    void refusesWithTheReferenceMessages() throws Exception {
        TestPrimary[] keep = new TestPrimary[1];
        TestPrimary.Message notConfigured = TestPrimary.first(b.port(), "nosuch", keep);
        keep[0].close();
        assertEquals("Resource not configured.", notConfigured.nv().getString("errmsg"));

        TestPrimary.Message init = TestPrimary.first(b.port(), "shared", keep);
        keep[0].close();
        assertEquals("Remote node acts as init for the resource and not as secondary.", init.nv().getString("errmsg"));
        assertFalse(init.nv().has("wait"));

        assertEquals(0, b.hastctl("role", "primary", "shared").exitCode());
        TestPrimary.Message primary = TestPrimary.first(b.port(), "shared", keep);
        keep[0].close();
        assertEquals("Remote node acts as primary for the resource and not as secondary.",
                primary.nv().getString("errmsg"));
        assertTrue(primary.nv().has("wait"));

        assertEquals(0, b.hastctl("role", "secondary", "shared").exitCode());
        TestPrimary.Message first = TestPrimary.first(b.port(), "shared", keep);
        assertTrue(first.nv().has("token"));
        try (var second = TestPrimary.connect(b.port())) {
            TestPrimary.send(second.getOutputStream(), 2, new org.hast.proto.HandshakeSecond("shared",
                    new byte[HandshakeTokenReply.TOKEN_SIZE], false, 1, 0, 0).toNv(), null);
            TestPrimary.Message refused = TestPrimary.receive(second.getInputStream());
            assertEquals("Token doesn't match.", refused.nv().getString("errmsg"));
        } finally {
            keep[0].close();
        }
    }
}
