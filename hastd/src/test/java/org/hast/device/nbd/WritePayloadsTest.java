package org.hast.device.nbd;

import static org.hast.device.nbd.NbdProtocol.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.hast.block.InflightBudget;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * WRITE payloads that span reads reuse their buffers (issue #15: a fresh zeroed 1 MiB buffer
 * per WRITE), carry only their own bytes, and what is kept stays bounded: never beside new
 * memory, never past {@link WritePayloads#KEPT_BYTES}, none after an idle second or the close.
 */
@ExtendWith(NbdLeaks.class)
class WritePayloadsTest {
    private static final int MIB = 1 << 20;
    private static final InflightBudget BUDGET = new InflightBudget(64L * MIB);

    @Test
    void aReleasedBufferServesTheNextPayloadOfItsSize() {
        WritePayloads payloads = new WritePayloads(0, BUDGET);
        BudgetedPayload first = payloads.take(MIB);
        first.release();
        assertEquals(MIB, payloads.keptBytes());
        assertSame(first, payloads.take(MIB));
        assertEquals(0, payloads.keptBytes());
        payloads.close();
    }

    @Test
    void onlyPowersOfTwoFrom64KiBTo1MiBAreKept() {
        assertTrue(WritePayloads.fits(64 << 10));
        assertTrue(WritePayloads.fits(MIB));
        assertFalse(WritePayloads.fits(4096), "small payloads: the pooled allocator's");
        assertFalse(WritePayloads.fits(MIB + 4096), "no buffer larger than its payload");
        assertFalse(WritePayloads.fits(2 * MIB));
    }

    @Test
    void keptBytesAreBounded() {
        WritePayloads payloads = new WritePayloads(0, BUDGET);
        int n = (int) (WritePayloads.KEPT_BYTES / MIB) + 4;
        List<BudgetedPayload> inFlight = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            inFlight.add(payloads.take(MIB));
        }
        inFlight.forEach(BudgetedPayload::release);
        assertEquals(WritePayloads.KEPT_BYTES, payloads.keptBytes());
        payloads.close();
        assertEquals(0, payloads.keptBytes());
    }

    /** A connection that had its whole budget in flight frees none of it when it is answered. */
    @Test
    void asMuchAsTheBudgetIsKept() {
        long budget = WritePayloads.KEPT_BYTES + 6 * MIB;
        WritePayloads payloads = new WritePayloads(budget, BUDGET);
        List<BudgetedPayload> inFlight = new ArrayList<>();
        for (int i = 0; i < budget / MIB; i++) {
            inFlight.add(payloads.take(MIB));
        }
        inFlight.forEach(BudgetedPayload::release);
        assertEquals(budget, payloads.keptBytes());
        for (BudgetedPayload buffer : inFlight) {
            assertSame(buffer, payloads.take(MIB), "the next burst reuses every buffer");
        }
        inFlight.forEach(BudgetedPayload::release);
        payloads.close();
    }

    @Test
    void newMemoryIsTakenOnlyWhenNothingIsKept() {
        WritePayloads payloads = new WritePayloads(0, BUDGET);
        payloads.take(MIB).release();
        BudgetedPayload other = payloads.take(128 << 10); // none kept of this size: the 1 MiB goes
        assertEquals(0, payloads.keptBytes());
        other.release();
        payloads.close();
    }

    @Test
    void anIdleSecondAndTheCloseFreeWhatIsKept() {
        WritePayloads payloads = new WritePayloads(0, BUDGET);
        payloads.take(MIB).release();
        payloads.trimIfIdle(); // one was taken since the start: busy
        assertEquals(MIB, payloads.keptBytes());
        payloads.trimIfIdle(); // none since the last call
        assertEquals(0, payloads.keptBytes());
        BudgetedPayload late = payloads.take(MIB);
        payloads.close();
        late.release(); // released after the connection closed
        assertEquals(0, payloads.keptBytes());
    }

    /**
     * Through the decoder: a 1 MiB WRITE in two reads leaves its buffer kept for the next, which
     * reuses it and carries its own bytes only; the connection's close frees it.
     */
    @Test
    void aConnectionKeepsItsGatheredWriteBuffersUntilItCloses() {
        Recording backend = new Recording();
        EmbeddedChannel ch = new EmbeddedChannel(NbdTransmission.initializer(new NbdExport("kernel", backend)));
        NbdRequestDecoder decoder = ch.pipeline().get(NbdRequestDecoder.class);
        try {
            byte[] a = random(MIB, 1);
            byte[] b = random(MIB, 2);
            for (byte[] data : List.of(a, b)) {
                ByteBuf request = request(data);
                int half = request.readableBytes() / 2;
                ch.writeInbound(request.readRetainedSlice(half));
                ch.writeInbound(request);
                ch.runPendingTasks();
                ByteBuf reply = ch.readOutbound();
                assertNotNull(reply, "a reply");
                reply.release();
                assertEquals(MIB, decoder.keptPayloadBytes(), "the answered WRITE's buffer is kept");
            }
            assertEquals(backend.addresses.get(0), backend.addresses.get(1), "the second WRITE reused the first's buffer");
            assertArrayEquals(a, backend.contents.get(0));
            assertArrayEquals(b, backend.contents.get(1));
        } finally {
            ch.finishAndReleaseAll();
        }
        assertEquals(0, decoder.keptPayloadBytes(), "the close freed it");
    }

    /**
     * The missing part of a large spanning payload is lent to the socket's reads: the bytes
     * written into the lent slice land in the request's own buffer (no copy), the request goes
     * on whole once they are in, and nothing is lent for a small rest or with no payload pending.
     */
    @Test
    void theRestOfALargePayloadIsLentToTheSocketReads() {
        Recording backend = new Recording();
        EmbeddedChannel ch = new EmbeddedChannel(NbdTransmission.initializer(new NbdExport("kernel", backend)));
        NbdRequestDecoder decoder = ch.pipeline().get(NbdRequestDecoder.class);
        try {
            assertNull(decoder.lendReadTarget(), "no payload pending: nothing to lend");
            byte[] data = random(MIB, 3);
            ByteBuf request = request(data);
            int first = 28 + 1000;
            ch.writeInbound(request.readRetainedSlice(first));
            ByteBuf lent = decoder.lendReadTarget();
            assertNotNull(lent, "1 MiB less 1000 bytes to come: lent");
            assertEquals(MIB - 1000, lent.writableBytes());
            int part = MIB - 1000 - 8192;
            lent.writeBytes(request, part); // as the socket would
            ch.writeInbound(lent);
            assertEquals(part, decoder.bytesReadInPlace());
            assertNull(decoder.lendReadTarget(), "8 KiB to come: read with the next requests");
            ch.writeInbound(request);
            ch.runPendingTasks();
            ByteBuf reply = ch.readOutbound();
            assertNotNull(reply, "a reply");
            reply.release();
            assertEquals(1, backend.contents.size());
            assertArrayEquals(data, backend.contents.get(0));
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    private static byte[] random(int n, long seed) {
        byte[] bytes = new byte[n];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static ByteBuf request(byte[] payload) {
        ByteBuf b = Unpooled.buffer();
        b.writeInt(0x25609513).writeShort(0).writeShort(CMD_WRITE).writeLong(1).writeLong(0).writeInt(payload.length);
        return b.writeBytes(payload);
    }

    /** Records each WRITE's memory and bytes, then completes it (which releases the payload). */
    private static final class Recording extends ZeroBackend {
        final List<Long> addresses = new ArrayList<>();
        final List<byte[]> contents = new ArrayList<>();

        Recording() {
            super(4L * MIB);
        }

        @Override
        public void write(long offset, ByteBuf buf, boolean fua, Completion done) {
            addresses.add(buf.memoryAddress() + buf.readerIndex());
            byte[] bytes = new byte[buf.readableBytes()];
            buf.getBytes(buf.readerIndex(), bytes);
            contents.add(bytes);
            done.done(0);
        }
    }
}
