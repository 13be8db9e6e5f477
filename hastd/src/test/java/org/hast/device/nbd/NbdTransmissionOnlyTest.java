package org.hast.device.nbd;

import static org.hast.device.nbd.NbdProtocol.*;
import static org.junit.jupiter.api.Assertions.*;


import org.hast.block.BlockBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * The transmission pipeline on its own, as the kernel bridge attaches it to its socketpair:
 * no greeting, requests from the first byte. Driven through an EmbeddedChannel with a
 * backend that completes synchronously (on the event loop), byte vectors annotated by field.
 */
@ExtendWith(NbdLeaks.class)
class NbdTransmissionOnlyTest {
    /** 64 KiB in a heap array, completing every call before returning. */
    static final class RamBackend implements BlockBackend {
        final byte[] data = new byte[65536];
        int flushes;

        @Override
        public long size() {
            return data.length;
        }

        @Override
        public int sectorSize() {
            return 1; // byte-granular, so the tests may use any offset
        }

        @Override
        public boolean flushCoversAllClients() {
            return false;
        }

        @Override
        public void read(long offset, int length, ByteBuf into, Completion done) {
            into.writeBytes(data, (int) offset, length);
            done.done(0);
        }

        @Override
        public void write(long offset, ByteBuf buf, boolean fua, Completion done) {
            buf.getBytes(buf.readerIndex(), data, (int) offset, buf.readableBytes());
            done.done(0);
        }

        @Override
        public void flush(Completion done) {
            flushes++;
            done.done(0);
        }

        @Override
        public void trim(long offset, long length, Completion done) {
            java.util.Arrays.fill(data, (int) offset, (int) (offset + length), (byte) 0);
            done.done(0);
        }

        @Override
        public void writeZeroes(long offset, long length, boolean mayPunch, Completion done) {
            trim(offset, length, done);
        }
    }

    private static ByteBuf request(int flags, int type, long cookie, long offset, int length, byte... payload) {
        ByteBuf b = Unpooled.buffer();
        b.writeInt(0x25609513); // magic
        b.writeShort(flags); // command flags
        b.writeShort(type); // type
        b.writeLong(cookie); // cookie
        b.writeLong(offset); // offset
        b.writeInt(length); // length
        b.writeBytes(payload); // WRITE data
        return b;
    }

    /** Reads the next simple reply; returns its error after checking the magic and cookie. */
    private static int reply(EmbeddedChannel ch, long cookie, byte[] dataOut) {
        ch.runPendingTasks(); // the batched flush
        ByteBuf out = ch.readOutbound();
        assertNotNull(out, "a reply");
        try {
            assertEquals(0x67446698, out.readInt(), "reply magic");
            int error = out.readInt();
            assertEquals(cookie, out.readLong(), "cookie");
            if (dataOut != null) {
                assertEquals(dataOut.length, out.readableBytes());
                out.readBytes(dataOut);
            }
            assertFalse(out.isReadable(), "nothing after the reply");
            return error;
        } finally {
            out.release();
        }
    }

    /**
     * An Error (a failed buffer allocation) is not the connection's problem: it goes on to the
     * pipeline's end, where Netty's report of it ends the worker (NettyCaughtErrors); an
     * IOException closes the connection there and then.
     */
    @Test
    void anErrorGoesOnToThePipelinesEndAnExceptionClosesTheConnection() {
        EmbeddedChannel ch = new EmbeddedChannel(NbdTransmission.initializer(new NbdExport("kernel", new RamBackend())));
        ch.pipeline().fireExceptionCaught(new OutOfMemoryError("injected"));
        assertThrows(OutOfMemoryError.class, ch::checkException, "the Error reached the pipeline's end");
        assertTrue(ch.isOpen(), "the handler leaves an Error to the process");
        ch.pipeline().fireExceptionCaught(new java.io.IOException("injected"));
        ch.checkException(); // handled: nothing reached the end
        assertFalse(ch.isOpen(), "an IOException closed the connection");
    }

    /**
     * The connection's reads and replies come from Netty's pooled allocator: the channels'
     * default, the adaptive one, pools nothing above 16 KiB in a worker's small JVM, so every
     * 64 KiB read was a fresh buffer the JVM zeroed (issue #15; this JVM is not "small", so
     * only the choice can be checked here).
     */
    @Test
    void readsComeFromThePooledAllocator() {
        EmbeddedChannel ch = new EmbeddedChannel(NbdTransmission.initializer(new NbdExport("kernel", new RamBackend())));
        try {
            assertSame(PooledByteBufAllocator.DEFAULT, ch.config().getAllocator());
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void servesRequestsFromTheFirstByte() {
        RamBackend ram = new RamBackend();
        EmbeddedChannel ch = new EmbeddedChannel(NbdTransmission.initializer(new NbdExport("kernel", ram)));
        assertNull(ch.readOutbound(), "no greeting in transmission-only mode");

        ch.writeInbound(request(CMD_FLAG_FUA, CMD_WRITE, 1, 100, 3, (byte) 1, (byte) 2, (byte) 3));
        assertEquals(0, reply(ch, 1, null));
        assertEquals(2, ram.data[101]);

        byte[] data = new byte[4];
        ch.writeInbound(request(0, CMD_READ, 2, 99, 4));
        assertEquals(0, reply(ch, 2, data));
        assertArrayEquals(new byte[] {0, 1, 2, 3}, data);

        ch.writeInbound(request(0, CMD_FLUSH, 3, 0, 0));
        assertEquals(0, reply(ch, 3, null));
        assertEquals(1, ram.flushes);

        ch.writeInbound(request(0, CMD_TRIM, 4, 100, 2));
        assertEquals(0, reply(ch, 4, null));
        assertEquals(0, ram.data[101]);
        assertEquals(3, ram.data[102]);

        ch.writeInbound(request(0, CMD_READ, 5, 65535, 2));
        assertEquals(EINVAL, reply(ch, 5, null));

        ch.writeInbound(request(0, CMD_DISC, 6, 0, 0));
        ch.runPendingTasks();
        assertFalse(ch.isOpen(), "DISC with nothing in flight closes at once");
        ByteBuf rest = ch.readOutbound(); // at most the empty buffer that flushed before closing
        assertTrue(rest == null || !rest.isReadable(), "DISC has no reply");
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void aRequestSplitAcrossReadsIsReassembled() {
        RamBackend ram = new RamBackend();
        EmbeddedChannel ch = new EmbeddedChannel(NbdTransmission.initializer(new NbdExport("kernel", ram)));
        ByteBuf whole = request(0, CMD_WRITE, 9, 0, 8, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        while (whole.isReadable()) {
            ch.writeInbound(whole.readRetainedSlice(Math.min(5, whole.readableBytes())));
        }
        whole.release();
        assertEquals(0, reply(ch, 9, null));
        assertEquals(8, ram.data[7]);
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void aClientGoneMidPayloadLeaksNothing() {
        EmbeddedChannel ch = new EmbeddedChannel(NbdTransmission.initializer(new NbdExport("kernel", new RamBackend())));
        ByteBuf partial = request(0, CMD_WRITE, 9, 0, 4096, new byte[1000]);
        ch.writeInbound(partial);
        assertNull(ch.readOutbound());
        ch.close();
        assertFalse(ch.finishAndReleaseAll());
    }
}
