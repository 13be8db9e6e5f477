package org.hast.link;

import org.hast.buffers.PayloadReadAllocator;

import java.lang.management.ManagementFactory;

import com.sun.management.ThreadMXBean;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocalThread;

/**
 * Started as its own JVM by {@link SocketReadBuffersTest}, with a worker's heap cap: takes
 * and releases {@code args[0]} socket read buffers of 64 KiB as a replication channel does and
 * prints the heap bytes allocated per read ({@code bytesPerRead=N}), on a Netty thread as an
 * event loop is (Netty recycles buffer objects only on those).
 */
public final class ReadBufferProbeMain {
    private static final int READ_SIZE = 64 * 1024;

    private ReadBufferProbeMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        int reads = Integer.parseInt(args[0]);
        Thread loop = new FastThreadLocalThread(() -> measure(reads), "probe-loop");
        loop.start();
        loop.join();
    }

    private static void measure(int reads) {
        RecvByteBufAllocator.Handle handle = new PayloadReadAllocator(
                new AdaptiveRecvByteBufAllocator(READ_SIZE, READ_SIZE, READ_SIZE), new HastFrameDecoder()).newHandle();
        // warm-up: the JIT and the pool's first chunk
        readAll(handle, reads);
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        readAll(handle, reads);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        System.out.println("bytesPerRead=" + allocated / reads);
    }

    private static void readAll(RecvByteBufAllocator.Handle handle, int reads) {
        for (int i = 0; i < reads; i++) {
            ByteBuf buffer = handle.allocate(ByteBufAllocator.DEFAULT);
            if (buffer.writableBytes() < READ_SIZE) {
                throw new IllegalStateException("read buffer of " + buffer.writableBytes() + " bytes");
            }
            buffer.release();
        }
    }
}
