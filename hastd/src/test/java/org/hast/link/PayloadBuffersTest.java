package org.hast.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.ByteBuf;

import org.junit.jupiter.api.Test;

/** {@link PayloadBuffers}: what it takes, what it keeps, what it frees. */
class PayloadBuffersTest {
    private static final int SIZE = HastFrameDecoder.AHEAD_LIMIT;

    @Test
    void aBufferIsEmptyOfThePayloadsSizeAndComesBackAfterItsLastRelease() throws Exception {
        PayloadBuffers buffers = new PayloadBuffers(SIZE);
        ByteBuf first = buffers.take(100_000);
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
        ByteBuf again = buffers.take(120_000);
        assertEquals(address, again.memoryAddress(), "the same memory, not a new allocation");
        assertEquals(120_000, again.capacity());
        assertEquals(0, again.writerIndex());
        again.release();
        buffers.close();
    }

    @Test
    void itKeepsAtMostAFewAndNoneAfterClose() {
        PayloadBuffers buffers = new PayloadBuffers(SIZE);
        List<ByteBuf> taken = new ArrayList<>();
        int most = (int) (PayloadBuffers.KEPT_BYTES / SIZE);
        for (int i = 0; i < most + 3; i++) {
            taken.add(buffers.take(SIZE));
        }
        assertEquals(0, buffers.kept());
        taken.forEach(ByteBuf::release);
        assertEquals(most, buffers.kept(), "the rest was freed");
        assertEquals((long) most * SIZE, buffers.keptBytes());
        ByteBuf inUse = buffers.take(SIZE);
        assertEquals(most - 1, buffers.kept());
        buffers.close();
        assertEquals(0, buffers.kept());
        inUse.release();
        assertEquals(0, buffers.kept(), "released after close: freed, not kept");
        assertEquals(0, buffers.keptBytes());
        assertFalse(buffers.fits(PayloadBuffers.MIN_SIZE - 1));
        assertFalse(buffers.fits(SIZE + 1));
        assertTrue(buffers.fits(SIZE));
    }

    /**
     * Issue #15: a replicated write's payload (128 KiB) held a buffer sized for the largest
     * payload (1 MiB + 1 KiB), all of it zeroed by the JVM, so a secondary under sequential
     * writes held eight times the bytes in flight in direct memory.
     */
    @Test
    void aPayloadHoldsDirectMemoryOfAboutItsOwnSize() {
        PayloadBuffers buffers = new PayloadBuffers(SIZE);
        int write = 128 * 1024;
        long before = directMemoryUsed();
        ByteBuf first = buffers.take(write);
        long held = directMemoryUsed() - before;
        assertTrue(held >= write && held < 2 * write, "a 128 KiB payload holds " + held + " bytes of direct memory");
        first.release();
        assertEquals(write, buffers.keptBytes());
        // a larger payload does not get the small buffer; the small one is reused for its size
        ByteBuf step = buffers.take(1024 * 1024);
        assertEquals(1024 * 1024, step.capacity());
        assertEquals(1, buffers.kept());
        ByteBuf second = buffers.take(write - 1000);
        assertEquals(0, buffers.kept(), "the kept 128 KiB buffer serves a payload of its class");
        assertEquals(0, buffers.keptBytes());
        second.release();
        step.release();
        buffers.close();
        assertEquals(before, directMemoryUsed(), "all freed");
    }

    @Test
    void aSizeNoLongerUsedIsFreedWhileOthersAreKept() {
        PayloadBuffers buffers = new PayloadBuffers(SIZE);
        buffers.take(SIZE).release();
        buffers.trimIfIdle();
        buffers.take(128 * 1024).release();
        buffers.trimIfIdle();
        assertEquals(128 * 1024, buffers.keptBytes(), "the large class went idle, the small one is in use");
        buffers.close();
    }

    private static long directMemoryUsed() {
        return ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(pool -> pool.getName().equals("direct")).findFirst().orElseThrow().getMemoryUsed();
    }

    @Test
    void anIdleConnectionKeepsNothing() {
        PayloadBuffers buffers = new PayloadBuffers(SIZE);
        buffers.take(SIZE).release();
        buffers.trimIfIdle();
        assertEquals(1, buffers.kept(), "taken since the last trim: kept");
        buffers.trimIfIdle();
        assertEquals(0, buffers.kept(), "nothing taken for a period: freed");
        buffers.take(SIZE).release();
        assertEquals(1, buffers.kept(), "kept again once in use");
        buffers.close();
    }
}
