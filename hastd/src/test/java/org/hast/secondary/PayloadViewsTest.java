package org.hast.secondary;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.hast.buffers.KeptBuffer;
import org.hast.buffers.SizeClasses;
import org.junit.jupiter.api.Test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.ResourceLeakDetector;

/**
 * {@link PayloadViews}: every view holds exactly the bytes of the buffer asked for, whatever
 * views were kept before (buffers freed and their memory reused at other sizes), and a
 * buffer's memory seen again is served by the view kept for it.
 */
class PayloadViewsTest {
    private static final PooledByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    @Test
    void slicesOfSharedBuffersReadAsTheSlicesThemselves() {
        Random random = new Random(8);
        PayloadViews views = new PayloadViews();
        for (int round = 0; round < 300; round++) {
            // Freed at the end of each round: the next rounds' buffers reuse their memory at other sizes.
            List<ByteBuf> parents = new ArrayList<>();
            for (int p = 0; p < 4; p++) {
                ByteBuf parent = ALLOC.directBuffer(1 + random.nextInt(256 * 1024));
                byte[] bytes = new byte[parent.capacity()];
                random.nextBytes(bytes);
                parent.writeBytes(bytes);
                parents.add(parent);
                for (int s = 0; s < 4; s++) {
                    int from = random.nextInt(bytes.length);
                    ByteBuf slice = parent.retainedSlice(from, random.nextInt(bytes.length - from + 1));
                    assertArrayEquals(ByteBufUtil.getBytes(slice), bytesOf(views.of(slice)), "round " + round);
                    slice.release();
                }
                assertArrayEquals(bytes, bytesOf(views.of(parent)), "a whole buffer, round " + round);
            }
            parents.forEach(ByteBuf::release);
        }
    }

    @Test
    void ownBuffersReadAndWriteThroughTheirChunksViews() {
        Random random = new Random(9);
        PayloadViews views = new PayloadViews();
        for (int round = 0; round < 500; round++) {
            ByteBuf data = ALLOC.directBuffer(4096 << random.nextInt(6));
            byte[] bytes = new byte[data.capacity()];
            random.nextBytes(bytes);
            views.ofOwn(data, 0, bytes.length).put(bytes); // as a read from the disk fills it
            data.writerIndex(bytes.length);
            assertArrayEquals(bytes, ByteBufUtil.getBytes(data), "round " + round);
            assertArrayEquals(bytes, bytesOf(views.ofOwn(data, 0, bytes.length)), "round " + round);
            data.release();
        }
    }

    @Test
    void theSameMemoryIsServedByTheSameView() {
        PayloadViews views = new PayloadViews();
        // A leak detector's wrapper hides the parent (hastd runs without one; the tests may not).
        ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        try {
            ByteBuf parent = ALLOC.directBuffer(64 * 1024).writeZero(64 * 1024);
            ByteBuf first = parent.retainedSlice(0, 4096);
            ByteBuf second = parent.retainedSlice(8192, 4096);
            assertSame(views.of(first), views.of(second), "one view of the parent's memory");
            first.release();
            second.release();
            parent.release();
        } finally {
            ResourceLeakDetector.setLevel(level);
        }
        ByteBuf heap = Unpooled.wrappedBuffer(new byte[] {1, 2, 3});
        assertArrayEquals(new byte[] {1, 2, 3}, bytesOf(views.of(heap)), "a buffer without an address");
    }

    private static byte[] bytesOf(ByteBuffer view) {
        byte[] out = new byte[view.remaining()];
        view.duplicate().get(out);
        return out;
    }

    /**
     * Issue #15: the link's kept payload buffers (up to 24 MiB of 128 KiB ones) are served by the
     * view each carries, with no view made again; by address in 256 slots, a third collided and
     * had one made per frame. Each view still holds exactly its buffer's bytes.
     */
    @Test
    void keptPayloadBuffersAreServedByTheirOwnViews() {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        SizeClasses<KeptBuffer> classes = new SizeClasses<>(1 << 20, 64L << 20,
                (memory, owner, sizeClass) -> new KeptBuffer(ALLOC, memory, owner, sizeClass));
        PayloadViews views = new PayloadViews();
        List<ByteBuf> payloads = new ArrayList<>();
        for (int i = 0; i < 192; i++) {
            ByteBuf payload = classes.take(128 << 10, false);
            payload.writeZero(payload.capacity()).setInt(0, i).setInt(payload.capacity() - 4, i);
            payloads.add(payload);
            views.of(payload);
        }
        long thread = Thread.currentThread().getId();
        long allocated = Long.MAX_VALUE;
        for (int round = 0; round < 3; round++) {
            long before = threads.getThreadAllocatedBytes(thread);
            for (int i = 0; i < payloads.size(); i++) {
                ByteBuffer view = views.of(payloads.get(i));
                if (view.remaining() != 128 << 10 || view.getInt(view.position()) != i
                        || view.getInt(view.limit() - 4) != i) {
                    throw new AssertionError("the view of payload " + i + " holds other bytes");
                }
            }
            allocated = Math.min(allocated, threads.getThreadAllocatedBytes(thread) - before);
        }
        payloads.forEach(ByteBuf::release);
        classes.close();
        assertTrue(allocated < 1024, allocated + " bytes allocated for the views of 192 payloads seen before");
    }
}
