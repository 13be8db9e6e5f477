package org.hast.device.nbd;

import static org.hast.device.nbd.NbdProtocol.*;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Transmission-phase requests against a real server over a Unix socket. */
@Timeout(60)
@ExtendWith(NbdLeaks.class)
class NbdTransmissionTest {
    private static final long SIZE = 4 << 20;

    @TempDir
    Path dir;
    private NbdFixture fx;

    @BeforeEach
    void start() throws Exception {
        fx = new NbdFixture(dir, SIZE);
    }

    @AfterEach
    void stop() throws Exception {
        fx.close();
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void writeReadFlushRoundTrip() throws Exception {
        try (NbdTestClient c = fx.transmitting()) {
            byte[] data = random(65536, 1);
            assertEquals(0, c.write(8192, data, 0));
            assertArrayEquals(data, c.read(8192, data.length));
            assertEquals(0, c.write(513, new byte[] {5, 6, 7}, CMD_FLAG_FUA));
            assertEquals(1, fx.fileBackend.fuaWrites.get());
            assertEquals(0, c.command(0, CMD_FLUSH, 0, 0));
            assertEquals(1, fx.fileBackend.flushes.get());
            byte[] file = fx.fileBytes();
            assertArrayEquals(data, java.util.Arrays.copyOfRange(file, 8192, 8192 + data.length));
            assertEquals(6, file[514]);
        }
    }

    /**
     * After the handshake, the socket reads of 1 MiB WRITEs go into the requests' own buffers
     * (issue #15: the handshake's first read used to fix the channel's read handle before the
     * decoder could lend it anything), and the data arrives whole.
     */
    @Test
    void largeWritesAfterTheHandshakeAreReadInPlace() throws Exception {
        try (NbdTestClient c = fx.transmitting()) {
            for (int i = 0; i < 4; i++) {
                byte[] data = random(1 << 20, 10 + i);
                assertEquals(0, c.write((long) i << 20, data, 0));
                assertArrayEquals(data, c.read((long) i << 20, data.length));
            }
            long inPlace = fx.server.payloadBytesReadInPlace();
            assertTrue(inPlace >= 2L << 20, "only " + inPlace + " of 4 MiB of payload read in place");
        }
    }

    @Test
    void trimAndWriteZeroesReadBackAsZeros() throws Exception {
        try (NbdTestClient c = fx.transmitting()) {
            byte[] ones = new byte[16384];
            java.util.Arrays.fill(ones, (byte) 0xff);
            assertEquals(0, c.write(0, ones, 0));
            assertEquals(0, c.command(0, CMD_TRIM, 0, 4096));
            assertEquals(0, c.command(0, CMD_WRITE_ZEROES, 4096, 4096));
            assertEquals(0, c.command(CMD_FLAG_NO_HOLE, CMD_WRITE_ZEROES, 8192, 1000));
            assertEquals(0, c.command(CMD_FLAG_FAST_ZERO, CMD_WRITE_ZEROES, 9192, 1000));
            byte[] back = c.read(0, 16384);
            for (int i = 0; i < 10192; i++) {
                assertEquals(0, back[i], "byte " + i);
            }
            assertEquals((byte) 0xff, back[10192]);
            // FUA on TRIM / WRITE_ZEROES is honoured with a FLUSH after the operation
            int before = fx.fileBackend.flushes.get();
            assertEquals(0, c.command(CMD_FLAG_FUA, CMD_TRIM, 0, 512));
            assertEquals(0, c.command(CMD_FLAG_FUA, CMD_WRITE_ZEROES, 0, 512));
            assertEquals(before + 2, fx.fileBackend.flushes.get());
        }
    }

    @Test
    void fastZeroThatMustWriteZerosFailsFastWithEnotsup() throws Exception {
        try (NbdTestClient c = fx.transmitting()) {
            long calls = fx.fileBackend.calls.get();
            assertEquals(ENOTSUP, c.command(CMD_FLAG_FAST_ZERO | CMD_FLAG_NO_HOLE, CMD_WRITE_ZEROES, 0, 4096));
            assertEquals(calls, fx.fileBackend.calls.get(), "the backend was not asked");
        }
    }

    @Test
    void repliesComeInCompletionOrder() throws Exception {
        fx.backend.holdOffsets.add(0L);
        try (NbdTestClient c = fx.transmitting()) {
            c.sendRequest(0, CMD_READ, 1, 0, 4096, null); // held
            c.sendRequest(0, CMD_WRITE, 2, 4096, 3, new byte[] {1, 2, 3});
            long[] first = c.readReply();
            assertEquals(2, first[1], "the write overtakes the held read");
            // Sent only now: the backend runs requests in parallel, so a read sent together
            // with the write could pass it.
            c.sendRequest(0, CMD_READ, 3, 4096, 3, null);
            long[] second = c.readReply();
            assertEquals(3, second[1]);
            assertEquals(0, second[0]);
            assertArrayEquals(new byte[] {1, 2, 3}, readData(c, 3));
            waitFor(() -> fx.backend.heldCount() == 1);
            fx.backend.releaseHeld();
            long[] third = c.readReply();
            assertEquals(1, third[1]);
            assertEquals(0, third[0]);
            assertArrayEquals(new byte[4096], readData(c, 4096));
        }
    }

    private static byte[] readData(NbdTestClient c, int n) throws Exception {
        byte[] b = new byte[n];
        c.readFully(n).get(b);
        return b;
    }

    /**
     * Requests are decoded into objects already answered: a backend answering one a second
     * time (a bug) is still caught while it waits for reuse, with no reply on the wire and no
     * effect on the next request, and a reused object keeps nothing of the last request.
     */
    @Test
    void aRecycledRequestCannotBeAnsweredAgainNorCarryItsLastState() throws Exception {
        try (NbdTestClient c = fx.transmitting()) {
            assertEquals(0, c.write(0, random(4096, 3), 0));
            fx.backend.writeCompletions.get(0).done(5); // late second answer: must be ignored
            byte[] data = random(4096, 4);
            long cookie = 0x5eed;
            c.sendRequest(0, CMD_WRITE, cookie, 4096, data.length, data);
            long[] reply = c.readReply();
            assertEquals(cookie, reply[1], "a reply for the request answered twice went out");
            assertEquals(0, reply[0]);
            assertArrayEquals(data, c.read(4096, data.length));

            // A FUA WRITE_ZEROES takes a second backend stage (the FLUSH); every reuse needs it again.
            int before = fx.backend.flushes.get();
            for (int i = 0; i < 3; i++) {
                assertEquals(0, c.command(CMD_FLAG_FUA, CMD_WRITE_ZEROES, 0, 4096));
            }
            assertEquals(before + 3, fx.backend.flushes.get(), "a reused request skipped its FUA flush");
            assertArrayEquals(new byte[4096], c.read(0, 4096));
        }
    }

    @Test
    void rangeErrorsAreEinvalForReadsAndEnospcForWrites() throws Exception {
        try (NbdTestClient c = fx.transmitting()) {
            assertArrayEquals(new byte[1], c.read(SIZE - 1, 1), "the last byte is readable");
            assertEquals(0, c.write(SIZE - 1, new byte[] {7}, 0), "and writable");
            assertEquals(EINVAL, c.command(0, CMD_READ, SIZE - 1, 2));
            assertEquals(EINVAL, c.command(0, CMD_READ, SIZE, 1));
            assertEquals(EINVAL, c.command(0, CMD_READ, -1L, 10), "offset + length overflows");
            assertEquals(ENOSPC, c.write(SIZE - 2, new byte[3], 0));
            assertEquals(ENOSPC, c.write(Long.MAX_VALUE, new byte[3], 0));
            assertEquals(ENOSPC, c.command(0, CMD_WRITE_ZEROES, SIZE, 1));
            assertEquals(EINVAL, c.command(0, CMD_TRIM, SIZE - 10, 11));
            assertEquals(EINVAL, c.command(0, CMD_READ, 0, MAX_PAYLOAD_BYTES + 1L), "READ over the maximum");
            // zero length: nothing to do, success, no data
            assertEquals(0, c.command(0, CMD_READ, 100, 0));
            assertEquals(EINVAL, c.command(0, CMD_READ, SIZE + 100, 0), "a zero-length range still starts in the export");
            assertEquals(0, c.command(0, CMD_TRIM, 0, 0));
            assertEquals(0, c.write(0, new byte[0], 0));
            // the connection is still in step
            assertArrayEquals(new byte[] {7}, c.read(SIZE - 1, 1));
        }
    }

    @Test
    void unknownCommandsAndFlagsAreEinvalAndTheConnectionLives() throws Exception {
        try (NbdTestClient c = fx.transmitting()) {
            assertEquals(EINVAL, c.command(0, CMD_CACHE, 0, 4096));
            assertEquals(EINVAL, c.command(0, CMD_BLOCK_STATUS, 0, 4096));
            assertEquals(EINVAL, c.command(0, 8, 0, 0));
            assertEquals(EINVAL, c.command(0, 0xffff, 0, 0));
            assertEquals(EINVAL, c.command(CMD_FLAG_NO_HOLE, CMD_READ, 0, 512), "NO_HOLE is for WRITE_ZEROES only");
            assertEquals(EINVAL, c.command(CMD_FLAG_DF, CMD_READ, 0, 512), "DF needs structured replies");
            assertEquals(EINVAL, c.command(CMD_FLAG_FAST_ZERO, CMD_TRIM, 0, 512));
            assertEquals(EINVAL, c.command(0x8000, CMD_FLUSH, 0, 0));
            // a WRITE with a bad flag still has its payload consumed
            assertEquals(EINVAL, c.write(0, new byte[] {1, 2, 3, 4}, CMD_FLAG_REQ_ONE));
            assertArrayEquals(new byte[4], c.read(0, 4), "refused write not applied");
            assertEquals(0, c.command(CMD_FLAG_FUA, CMD_FLUSH, 0, 0), "FUA is accepted on any command");
        }
    }

    @Test
    void backendErrorsBecomeWireErrnos() throws Exception {
        fx.backend.failOffsets.put(0L, 5);
        fx.backend.failOffsets.put(512L, 13); // EACCES: not an NBD errno
        fx.backend.failOffsets.put(1024L, 28);
        fx.backend.failOffsets.put(1536L, 122); // EDQUOT: maps to ENOSPC
        fx.backend.failOffsets.put(2048L, 108);
        try (NbdTestClient c = fx.transmitting()) {
            assertEquals(EIO, c.command(0, CMD_READ, 0, 512));
            assertEquals(EIO, c.command(0, CMD_READ, 512, 512));
            assertEquals(ENOSPC, c.write(1024, new byte[512], 0));
            assertEquals(ENOSPC, c.command(0, CMD_WRITE_ZEROES, 1536, 512));
            assertEquals(ESHUTDOWN, c.command(0, CMD_TRIM, 2048, 512));
            assertArrayEquals(new byte[512], c.read(4096, 512));
        }
    }

    @Test
    void badRequestMagicClosesTheConnection() throws Exception {
        try (NbdTestClient c = fx.transmitting()) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(28).putInt(0x25609514).putShort((short) 0)
                    .putShort((short) CMD_READ).putLong(1).putLong(0).putInt(512);
            c.send(b);
            assertTrue(c.closedByServer());
        }
        try (NbdTestClient other = fx.transmitting()) {
            assertArrayEquals(new byte[4], other.read(0, 4), "the server lives on");
        }
    }

    @Test
    void oversizedWriteClosesTheConnection() throws Exception {
        try (NbdTestClient c = fx.transmitting()) {
            c.sendRequest(0, CMD_WRITE, 1, 0, MAX_PAYLOAD_BYTES + 1L, new byte[100]);
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void discAnswersInFlightRequestsThenCloses() throws Exception {
        fx.backend.holdOffsets.add(4096L);
        try (NbdTestClient c = fx.transmitting()) {
            c.sendRequest(0, CMD_WRITE, 77, 4096, 2, new byte[] {4, 2});
            c.sendRequest(0, CMD_DISC, 78, 0, 0, null);
            c.sendRequest(0, CMD_READ, 79, 0, 512, null); // after DISC: must be ignored
            waitFor(() -> fx.backend.heldCount() == 1);
            Thread.sleep(100);
            assertEquals(1, fx.server.connectionCount(), "not closed while a request is in flight");
            fx.backend.releaseHeld();
            long[] reply = c.readReply();
            assertEquals(77, reply[1]);
            assertEquals(0, reply[0]);
            assertTrue(c.closedByServer(), "closed after the last reply, nothing for the READ after DISC");
        }
        assertEquals(4, fx.fileBytes()[4096]);
    }

    static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("condition not met in 10 s");
            }
            Thread.sleep(5);
        }
    }
}
