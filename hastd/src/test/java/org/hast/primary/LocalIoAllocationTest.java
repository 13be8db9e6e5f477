package org.hast.primary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.hast.local.LocalComponent;
import org.hast.proto.HioCommand;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;

/**
 * Issue #15: the local component's threads and the hand-off to them allocate nothing per
 * request (the exact per-thread counter, after warm-up). They used to make a condition node
 * per park and two {@code ByteBuffer} views of each request's data.
 */
class LocalIoAllocationTest {
    private static final int QUEUE_DEPTH = 32;
    private static final int BLOCK = 4096;
    private static final int REQUESTS = 20_000;

    @TempDir
    Path dir;

    @Test
    void writesAndReadsAllocateNothingPerRequest() throws Exception {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported());
        threads.setThreadAllocatedMemoryEnabled(true);
        Path file = dir.resolve("disk");
        java.nio.file.Files.write(file, new byte[QUEUE_DEPTH * BLOCK]);
        Thread waiter = Thread.currentThread();
        AtomicInteger completed = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        ByteBuf[] buffers = new ByteBuf[QUEUE_DEPTH];
        try (LocalComponent local = LocalComponent.open(file);
             LocalIo io = new LocalIo(local, 0, 4, QUEUE_DEPTH, h -> {
                 if (h.localError != 0) {
                     failed.incrementAndGet();
                 }
                 completed.incrementAndGet();
                 LockSupport.unpark(waiter);
             })) {
            Hio[] writes = new Hio[QUEUE_DEPTH];
            Hio[] reads = new Hio[QUEUE_DEPTH];
            for (int i = 0; i < QUEUE_DEPTH; i++) {
                buffers[i] = PooledByteBufAllocator.DEFAULT.directBuffer(BLOCK).writeZero(BLOCK);
                writes[i] = new Hio(HioCommand.WRITE, (long) i * BLOCK, BLOCK, buffers[i], e -> { });
                // A READ fills the buffer from its writer index: a slice written from 0.
                reads[i] = new Hio(HioCommand.READ, (long) i * BLOCK, BLOCK, buffers[i].slice(0, BLOCK).clear(),
                        e -> { });
            }
            run(io, writes, completed, REQUESTS); // warm-up: the JIT, the queue's first laps
            run(io, reads, completed, REQUESTS);
            long[] ids = localThreadIds();
            long submitter = Thread.currentThread().getId();
            long least = Long.MAX_VALUE;
            long leastSubmitter = Long.MAX_VALUE;
            for (int round = 0; round < 3; round++) {
                long before = sum(threads.getThreadAllocatedBytes(ids));
                long beforeSubmitter = threads.getThreadAllocatedBytes(submitter);
                run(io, round % 2 == 0 ? writes : reads, completed, REQUESTS);
                leastSubmitter = Math.min(leastSubmitter, threads.getThreadAllocatedBytes(submitter) - beforeSubmitter);
                least = Math.min(least, sum(threads.getThreadAllocatedBytes(ids)) - before);
            }
            assertEquals(0, failed.get());
            assertTrue(least < REQUESTS, least + " bytes allocated on the local threads for " + REQUESTS + " requests");
            assertTrue(leastSubmitter < REQUESTS, leastSubmitter + " bytes allocated by the submitter for "
                    + REQUESTS + " requests");
        } finally {
            for (ByteBuf b : buffers) {
                if (b != null) {
                    b.release();
                }
            }
        }
    }

    /** Rounds of {@link #QUEUE_DEPTH} requests, each submitted once the last round completed. */
    private static void run(LocalIo io, Hio[] hios, AtomicInteger completed, int count) throws IOException {
        completed.set(0);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (int submitted = 0; submitted < count; submitted += hios.length) {
            for (Hio hio : hios) {
                io.submit(hio);
            }
            while (completed.get() < submitted + hios.length) {
                LockSupport.parkNanos(1_000_000);
                if (System.nanoTime() > deadline) {
                    throw new IOException("only " + completed.get() + " of " + count + " requests completed");
                }
            }
        }
    }

    private static long[] localThreadIds() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("local-"))
                .mapToLong(Thread::getId).toArray();
    }

    private static long sum(long[] values) {
        long total = 0;
        for (long v : values) {
            total += v;
        }
        return total;
    }
}
