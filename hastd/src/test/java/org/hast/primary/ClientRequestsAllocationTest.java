package org.hast.primary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.function.Consumer;

import org.hast.block.BlockBackend.Completion;
import org.hast.proto.HioCommand;
import org.hast.role.WorkerStats;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;

/**
 * Issue #15: a 1 MiB client write, cut into eight HAST requests, allocates nothing on the thread
 * that cuts it (the exact per-thread counter, after warm-up). It made a factory lambda, a
 * completion, two {@code AtomicInteger}s and a slice per piece.
 */
class ClientRequestsAllocationTest {
    private static final int WRITE_BYTES = 1 << 20;
    private static final int WRITES = 5_000;

    private int completed;
    private int failed;
    private final Completion done = errno -> {
        if (errno != 0) {
            failed++;
        }
        completed++;
    };

    @Test
    void aWriteCutInPiecesAllocatesNothing() {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported());
        threads.setThreadAllocatedMemoryEnabled(true);
        HioPool pool = new HioPool(PrimaryPipeline.REQUEST_SLOTS, h -> { });
        ByteBuf data = PooledByteBufAllocator.DEFAULT.directBuffer(WRITE_BYTES).writeZero(WRITE_BYTES);
        int[] pieces = new int[1];
        // Each piece is answered at once: its bytes checked, its reference and Hio given back.
        Consumer<Hio> answer = hio -> {
            Completion piece = hio.piece;
            int expectedIndex = (int) (hio.offset % WRITE_BYTES);
            boolean right = hio.cmd == HioCommand.WRITE && hio.length == PrimaryPipeline.MAX_REQUEST_BYTES
                    && hio.data.memoryAddress() + hio.dataIndex == data.memoryAddress() + expectedIndex;
            hio.data.release();
            pool.release(hio);
            pieces[0]++;
            piece.done(right ? 0 : 5);
        };
        ClientRequests requests = new ClientRequests(new WorkerStats(), pool, answer, () -> false);
        try {
            write(requests, data, WRITES); // warm-up
            long thread = Thread.currentThread().getId();
            long least = Long.MAX_VALUE;
            for (int round = 0; round < 3; round++) {
                long before = threads.getThreadAllocatedBytes(thread);
                write(requests, data, WRITES);
                least = Math.min(least, threads.getThreadAllocatedBytes(thread) - before);
            }
            assertEquals(0, failed);
            assertEquals(4 * WRITES, completed);
            assertEquals(4 * WRITES * (WRITE_BYTES / PrimaryPipeline.MAX_REQUEST_BYTES), pieces[0]);
            assertEquals(1, data.refCnt());
            assertTrue(least < WRITES, least + " bytes allocated for " + WRITES + " writes of 1 MiB");
        } finally {
            data.release();
        }
    }

    private void write(ClientRequests requests, ByteBuf data, int count) {
        for (int i = 0; i < count; i++) {
            requests.write((long) i * WRITE_BYTES, data, false, done);
        }
    }
}
