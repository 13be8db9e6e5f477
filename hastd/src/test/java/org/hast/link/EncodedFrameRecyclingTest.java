package org.hast.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.FastThreadLocalThread;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * {@link EncodedFrame}s are recycled: a released frame releases its buffers and comes back
 * with the next one's, and making and releasing one allocates nothing once the pool is warm
 * (HotSpot's per-thread allocation counter; before the pool: a frame and its reference count,
 * about 40 bytes each time).
 */
class EncodedFrameRecyclingTest {
    @Test
    void aRecycledFrameCarriesOnlyItsNewBuffers() {
        ByteBuf header = Unpooled.buffer(8).writeLong(1);
        ByteBuf payload = Unpooled.buffer(8).writeLong(2);
        EncodedFrame first = EncodedFrame.of(header, payload);
        assertTrue(first.release());
        assertEquals(0, header.refCnt());
        assertEquals(0, payload.refCnt());
        ByteBuf header2 = Unpooled.buffer(8).writeLong(3);
        EncodedFrame second = EncodedFrame.of(header2, Unpooled.EMPTY_BUFFER);
        assertEquals(1, second.refCnt());
        assertSame(header2, second.header());
        assertSame(Unpooled.EMPTY_BUFFER, second.payload());
        assertTrue(second.release());
        assertEquals(0, header2.refCnt());
    }

    @Test
    void makingAndReleasingFramesAllocatesNothing() throws InterruptedException {
        Object bean = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(bean instanceof com.sun.management.ThreadMXBean,
                "no per-thread allocation counter on this JVM");
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) bean;
        Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported(), "no per-thread allocation counter");
        threads.setThreadAllocatedMemoryEnabled(true);
        int frames = 10_000;
        long[] least = {Long.MAX_VALUE};
        Throwable[] failure = new Throwable[1];
        // on a thread like an event loop's, where the recycler keeps its objects
        Thread loop = new FastThreadLocalThread(() -> {
            try {
                for (int run = 0; run < 6; run++) {
                    long id = Thread.currentThread().getId();
                    long before = threads.getThreadAllocatedBytes(id);
                    for (int i = 0; i < frames; i++) {
                        EncodedFrame.of(Unpooled.EMPTY_BUFFER, Unpooled.EMPTY_BUFFER).release();
                    }
                    least[0] = Math.min(least[0], threads.getThreadAllocatedBytes(id) - before);
                }
            } catch (Throwable t) {
                failure[0] = t;
            }
        }, "encoder-loop");
        loop.start();
        loop.join();
        assertNull(failure[0]);
        double perFrame = (double) least[0] / frames;
        System.out.println("EncodedFrameRecyclingTest: " + perFrame + " bytes allocated per frame");
        assertTrue(perFrame < 4, perFrame + " bytes allocated per frame");
    }
}
