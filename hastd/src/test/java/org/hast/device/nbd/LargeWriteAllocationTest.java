package org.hast.device.nbd;

import static org.hast.device.nbd.NbdProtocol.*;
import static org.junit.jupiter.api.Assertions.*;


import org.hast.testing.InPlaceReads;
import org.hast.testing.NettyThread;
import org.hast.testing.ThreadAllocation;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.ResourceLeakDetector;

/**
 * Issue #15: a 1 MiB WRITE whose payload the socket reads in place, then sent on as eight
 * 128 KiB retained slices (what the primary's sender makes of it), allocates next to nothing
 * on the event loop once its buffer is kept: the payload's object, its slices and the buffer
 * lent to the read come back with the buffer. On the build before, 528 bytes per WRITE
 * (the payload's {@code ByteBuf}, count and view, a slice lent per read and one per frame).
 * The exact per-thread counter, no timing.
 */
@ExtendWith(NbdLeaks.class)
class LargeWriteAllocationTest {
    private static final int MIB = 1 << 20;
    private static final int PIECE = 128 << 10;
    /** Payload bytes in the read that brings the header; the rest is read in place. */
    private static final int FIRST = 1000;
    private static final int WRITES = 2000;

    @Test
    void aLargeWriteReadInPlaceAndSentInPiecesAllocatesNextToNothing() throws Throwable {
        Assumptions.assumeTrue(ThreadAllocation.supported(), "no per-thread allocation counter in this JVM");
        // A Netty thread, as the event loop is: Netty recycles its objects (a reply's buffer) only there.
        NettyThread.run("nbd-alloc", LargeWriteAllocationTest::measure);
    }

    private static void measure() throws Exception {
        Sender backend = new Sender();
        EmbeddedChannel ch = new EmbeddedChannel(NbdTransmission.initializer(new NbdExport("kernel", backend)));
        NbdRequestDecoder decoder = ch.pipeline().get(NbdRequestDecoder.class);
        ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
        // The leak detector's records (a stack trace per access to a tracked buffer) would be
        // all that is measured: off before the test's buffers and the pool's are made.
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        ByteBuf head = PooledByteBufAllocator.DEFAULT.directBuffer(28 + FIRST);
        head.writeInt(REQUEST_MAGIC).writeShort(0).writeShort(CMD_WRITE).writeLong(1).writeLong(0).writeInt(MIB);
        ByteBuf data = InPlaceReads.patterned(MIB);
        head.writeBytes(data, 0, FIRST);
        try {
            writes(ch, decoder, head, data, WRITES); // warm-up
            long least = ThreadAllocation.leastOf(5, () -> writes(ch, decoder, head, data, WRITES));
            assertEquals(6L * WRITES, backend.writes);
            assertEquals(0, backend.wrongBytes, "each piece carried its own bytes");
            assertEquals(6L * WRITES * (MIB - FIRST), decoder.bytesReadInPlace());
            System.out.println("LargeWriteAllocationTest: " + (double) least / WRITES + " bytes per 1 MiB WRITE");
            assertTrue(least < 16L * WRITES, (double) least / WRITES + " bytes allocated per 1 MiB WRITE");
        } finally {
            ResourceLeakDetector.setLevel(level);
            head.release();
            data.release();
            ch.finishAndReleaseAll();
        }
    }

    /** {@code count} WRITEs as a socket brings them, their replies read and dropped. */
    private static void writes(EmbeddedChannel ch, NbdRequestDecoder decoder, ByteBuf head, ByteBuf data, int count) {
        InPlaceReads.feed(ch, decoder, head, data, FIRST, count, () -> {
            ch.runPendingTasks();
            for (Object reply; (reply = ch.readOutbound()) != null; ) {
                ReferenceCountUtil.release(reply);
            }
        });
    }

    /** Sends each WRITE on as the primary's sender does: eight retained 128 KiB slices, released once "sent". */
    private static final class Sender extends ZeroBackend {
        long writes;
        long wrongBytes;

        Sender() {
            super(4L * MIB);
        }

        @Override
        public void write(long offset, ByteBuf buf, boolean fua, Completion done) {
            writes++;
            for (int at = 0; at < buf.readableBytes(); at += PIECE) {
                ByteBuf piece = buf.retainedSlice(buf.readerIndex() + at, PIECE);
                if (piece.getByte(0) != (byte) (at * 7) || piece.getByte(PIECE - 1) != (byte) ((at + PIECE - 1) * 7)) {
                    wrongBytes++;
                }
                piece.release();
            }
            done.done(0);
        }
    }
}
