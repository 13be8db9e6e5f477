package org.hast.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;

import org.junit.jupiter.api.Test;

/** {@link PayloadBuffers}: what it takes, what it keeps, what it frees. */
class PayloadBuffersTest {
    private static final ByteBufAllocator ALLOC = UnpooledByteBufAllocator.DEFAULT;
    private static final int SIZE = HastFrameDecoder.AHEAD_LIMIT;

    @Test
    void aBufferIsEmptyOfThePayloadsSizeAndComesBackAfterItsLastRelease() throws Exception {
        PayloadBuffers buffers = new PayloadBuffers(SIZE);
        ByteBuf first = buffers.take(ALLOC, 100_000);
        assertEquals(0, first.readableBytes());
        assertEquals(100_000, first.capacity());
        assertEquals(100_000, first.maxCapacity());
        assertTrue(first.isDirect() && first.hasMemoryAddress());
        long address = first.memoryAddress();
        first.writeZero(100_000);
        ByteBuf slice = first.retainedSlice(0, 10);
        first.release();
        // released on another thread, as the disk threads do
        Thread releaser = new Thread(slice::release);
        releaser.start();
        releaser.join();
        ByteBuf again = buffers.take(ALLOC, SIZE);
        assertEquals(address, again.memoryAddress(), "the same memory, not a new allocation");
        assertEquals(SIZE, again.capacity());
        assertEquals(0, again.writerIndex());
        again.release();
        buffers.close();
    }

    @Test
    void itKeepsAtMostAFewAndNoneAfterClose() {
        PayloadBuffers buffers = new PayloadBuffers(SIZE);
        List<ByteBuf> taken = new ArrayList<>();
        for (int i = 0; i < PayloadBuffers.KEPT + 3; i++) {
            taken.add(buffers.take(ALLOC, SIZE));
        }
        assertEquals(0, buffers.kept());
        taken.forEach(ByteBuf::release);
        assertEquals(PayloadBuffers.KEPT, buffers.kept(), "the rest was freed");
        ByteBuf inUse = buffers.take(ALLOC, SIZE);
        assertEquals(PayloadBuffers.KEPT - 1, buffers.kept());
        buffers.close();
        assertEquals(0, buffers.kept());
        inUse.release();
        assertEquals(0, buffers.kept(), "released after close: freed, not kept");
        assertFalse(buffers.fits(PayloadBuffers.MIN_SIZE - 1));
        assertFalse(buffers.fits(SIZE + 1));
        assertTrue(buffers.fits(SIZE));
    }

    @Test
    void anIdleConnectionKeepsNothing() {
        PayloadBuffers buffers = new PayloadBuffers(SIZE);
        buffers.take(ALLOC, SIZE).release();
        buffers.trimIfIdle();
        assertEquals(1, buffers.kept(), "taken since the last trim: kept");
        buffers.trimIfIdle();
        assertEquals(0, buffers.kept(), "nothing taken for a period: freed");
        buffers.take(ALLOC, SIZE).release();
        assertEquals(1, buffers.kept(), "kept again once in use");
        buffers.close();
    }
}
