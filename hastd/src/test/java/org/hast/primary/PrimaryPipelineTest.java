package org.hast.primary;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.hast.activemap.ActiveMap;
import org.hast.codec.PayloadCodec;
import org.hast.conf.ReplicationMode;
import org.hast.local.LocalComponent;
import org.hast.role.WorkerStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.hast.sync.DirtyMap;

/**
 * The primary's I/O path against a real local file and no secondary ({@code remote none}):
 * data lands at {@code localoff + offset}, large requests are cut and reassembled, every
 * write leaves its extents dirty on disk (nobody has the copy), and a closed pipeline
 * refuses instead of hanging.
 */
class PrimaryPipelineTest {
    private static final long DATA_SIZE = 16L << 20;
    private static final int EXTENT = 1 << 20;
    private static final long LOCAL_OFFSET = 8192;

    @TempDir
    Path dir;
    private Path file;
    private LocalComponent local;
    private DirtyMap dirty;
    private PrimaryPipeline pipeline;
    private final WorkerStats stats = new WorkerStats();
    private final StaleExtents stale = new StaleExtents(EXTENT, null, () -> 1);
    private final OutageCounter counter = new OutageCounter();

    /** The outage's {@code localcnt} bump; {@link #stall} makes it wait like a stuck fsync. */
    private static final class OutageCounter implements PrimaryPipeline.Counters {
        final AtomicInteger bumps = new AtomicInteger();
        final CountDownLatch release = new CountDownLatch(1);
        volatile boolean stall;
        private volatile boolean bumped;

        @Override
        public boolean outageBumpPending() {
            return !bumped;
        }

        @Override
        public void acknowledgingWhileDisconnected() throws IOException {
            try {
                if (stall && !release.await(30, TimeUnit.SECONDS)) {
                    throw new IOException("never released");
                }
            } catch (InterruptedException e) {
                throw new java.io.InterruptedIOException();
            }
            if (!bumped) {
                bumped = true;
                bumps.incrementAndGet();
            }
        }
    }

    @BeforeEach
    void setUp() throws IOException {
        file = dir.resolve("disk");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.truncate(LOCAL_OFFSET + DATA_SIZE);
            ch.write(ByteBuffer.allocate(1), LOCAL_OFFSET + DATA_SIZE - 1);
        }
        local = LocalComponent.open(file);
        dirty = new DirtyMap(new ActiveMap(DATA_SIZE, EXTENT, 4, 512), local, LOCAL_OFFSET, stats, true);
        pipeline = new PrimaryPipeline(local, LOCAL_OFFSET, DATA_SIZE, 512, dirty, stats,
                counter, ReplicationMode.FULLSYNC, new PayloadCodec(),
                new AtomicLong(1), stale, null);
    }

    @AfterEach
    void tearDown() {
        pipeline.close();
        stale.close();
        dirty.close();
        local.close();
    }

    private static int await(CompletableFuture<Integer> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    private int write(long offset, byte[] bytes) throws Exception {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(bytes.length).writeBytes(bytes);
        CompletableFuture<Integer> f = new CompletableFuture<>();
        pipeline.write(offset, buf, false, f::complete);
        try {
            return await(f);
        } finally {
            buf.release();
        }
    }

    private byte[] read(long offset, int length) throws Exception {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(length);
        try {
            CompletableFuture<Integer> f = new CompletableFuture<>();
            pipeline.read(offset, length, buf, f::complete);
            assertEquals(0, await(f));
            assertEquals(length, buf.readableBytes());
            byte[] out = new byte[length];
            buf.readBytes(out);
            return out;
        } finally {
            buf.release();
        }
    }

    private byte[] onDisk(long position, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        local.readFully(b, position);
        return b.array();
    }

    @Test
    void largeWriteIsCutAndLandsAtLocalOffset() throws Exception {
        byte[] data = new byte[3 * PrimaryPipeline.MAX_REQUEST_BYTES + 4096];
        new Random(1).nextBytes(data);
        long offset = EXTENT - 8192; // straddles an extent boundary
        assertEquals(0, write(offset, data));
        assertArrayEquals(data, onDisk(LOCAL_OFFSET + offset, data.length));
        assertArrayEquals(data, read(offset, data.length));
        assertEquals(1, stats.write.sum());
        assertEquals(1, stats.read.sum());
        awaitAllSlotsIdle();
    }

    @Test
    void withoutSecondaryWrittenExtentsStayDirtyOnDisk() throws Exception {
        assertEquals(0, write(3L * EXTENT + 512, new byte[4096]));
        assertEquals(EXTENT, dirty.dirtyBytes(), "the secondary never got it: extent 3 stays dirty");
        byte[] bitmap = onDisk(4096, 1);
        assertEquals(1 << 3, bitmap[0] & 0xff, "extent 3 marked in the on-disk bitmap");
        assertEquals(1, counter.bumps.get(), "an acknowledged write while disconnected bumps localcnt");
    }

    /**
     * While the outage counter's metadata write hangs, the writes waiting for it are not
     * answered, and the threads that completed them are not held: every local I/O thread stays
     * free (more writes than threads land, a read is served), as the link's event loop must.
     */
    @Test
    void writesWaitingForTheOutageCounterHoldNoIoThread() throws Exception {
        counter.stall = true;
        int writes = 8;
        List<CompletableFuture<Integer>> acks = new ArrayList<>();
        List<ByteBuf> buffers = new ArrayList<>();
        for (int i = 0; i < writes; i++) {
            ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(4096).writeZero(4096);
            buf.setInt(0, i + 1);
            buffers.add(buf);
            CompletableFuture<Integer> ack = new CompletableFuture<>();
            acks.add(ack);
            pipeline.write((long) i * EXTENT, buf, false, ack::complete);
        }
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            int landed = 0;
            while (landed < writes && System.nanoTime() < deadline) {
                landed = 0;
                for (int i = 0; i < writes; i++) {
                    landed += ByteBuffer.wrap(onDisk(LOCAL_OFFSET + (long) i * EXTENT, 4)).getInt() == i + 1 ? 1 : 0;
                }
                Thread.sleep(5);
            }
            assertEquals(writes, landed, "local I/O threads were held by the stuck counter write");
            assertArrayEquals(new byte[512], read(EXTENT + 4096, 512));
            for (CompletableFuture<Integer> ack : acks) {
                assertFalse(ack.isDone(), "a write was acknowledged before the outage counter was on disk");
            }
        } finally {
            counter.release.countDown();
        }
        for (CompletableFuture<Integer> ack : acks) {
            assertEquals(0, await(ack));
        }
        assertEquals(1, counter.bumps.get());
        buffers.forEach(ByteBuf::release);
    }

    @Test
    void flushTrimAndZeroesComplete() throws Exception {
        byte[] ones = new byte[8192];
        java.util.Arrays.fill(ones, (byte) 1);
        assertEquals(0, write(0, ones));
        CompletableFuture<Integer> zero = new CompletableFuture<>();
        pipeline.writeZeroes(0, 4096, false, zero::complete);
        assertEquals(0, await(zero));
        assertArrayEquals(new byte[4096], read(0, 4096));
        assertEquals(1, read(4096, 1)[0]);
        CompletableFuture<Integer> trim = new CompletableFuture<>();
        pipeline.trim(4096, 4096, trim::complete);
        assertEquals(0, await(trim));
        assertArrayEquals(new byte[4096], read(4096, 4096), "a punched hole reads as zeros");
        CompletableFuture<Integer> flush = new CompletableFuture<>();
        pipeline.flush(flush::complete);
        assertEquals(0, await(flush), "a flush with no secondary succeeds on the local disk");
        assertEquals(1, stats.flush.sum());
        assertEquals(1, stats.delete.sum());
    }

    @Test
    void manyConcurrentRequestsBeyondTheSlotCountAllComplete() throws Exception {
        int n = 2000;
        CompletableFuture<?>[] all = new CompletableFuture<?>[n];
        ByteBuf[] bufs = new ByteBuf[n];
        for (int i = 0; i < n; i++) {
            bufs[i] = PooledByteBufAllocator.DEFAULT.directBuffer(4096).writeZero(4096);
            bufs[i].setInt(0, i);
            CompletableFuture<Integer> f = new CompletableFuture<>();
            all[i] = f;
            pipeline.write((long) i * 4096, bufs[i], false, f::complete);
        }
        CompletableFuture.allOf(all).get(30, TimeUnit.SECONDS);
        for (int i = 0; i < n; i++) {
            assertEquals(0, all[i].get());
            bufs[i].release();
        }
        for (int i = 0; i < n; i += 97) {
            assertEquals(i, ByteBuffer.wrap(read((long) i * 4096, 4)).getInt());
        }
        awaitAllSlotsIdle();
    }

    /**
     * Every request object is recycled many times over here (a write, a flush or a trim after
     * another): each client gets its own answer once and every write's bytes land where it
     * said, so no Hio carried a previous request's buffer, offset or completion.
     */
    @Test
    void recycledRequestObjectsCarryNothingOver() throws Exception {
        int n = 3000;
        List<CompletableFuture<Integer>> answers = new ArrayList<>();
        List<ByteBuf> bufs = new ArrayList<>();
        AtomicInteger extraAnswers = new AtomicInteger();
        for (int i = 0; i < n; i++) {
            CompletableFuture<Integer> f = new CompletableFuture<>();
            answers.add(f);
            org.hast.block.BlockBackend.Completion once = errno -> {
                if (!f.complete(errno)) {
                    extraAnswers.incrementAndGet();
                }
            };
            long offset = (long) (i % 1024) * 4096;
            switch (i % 5) {
                case 3 -> pipeline.flush(once);
                case 4 -> pipeline.trim(offset + 8L * 1024 * 1024, 4096, once);
                default -> {
                    ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(4096).writeZero(4096);
                    buf.setInt(0, i);
                    bufs.add(buf);
                    pipeline.write(offset, buf, false, once);
                }
            }
        }
        CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        for (CompletableFuture<Integer> f : answers) {
            assertEquals(0, f.get());
        }
        bufs.forEach(ByteBuf::release);
        assertEquals(0, extraAnswers.get(), "a client was answered twice");
        for (int slot = 0; slot < 1024; slot++) {
            // Writes to one offset may land in any order: the bytes must be one of them.
            List<Integer> writtenHere = new ArrayList<>();
            for (int i = slot; i < n; i += 1024) {
                if (i % 5 < 3) {
                    writtenHere.add(i);
                }
            }
            if (writtenHere.isEmpty()) {
                writtenHere.add(0); // only a flush and a trim went with this offset
            }
            int found = ByteBuffer.wrap(read((long) slot * 4096, 4)).getInt();
            assertTrue(writtenHere.contains(found), "offset " + slot + " holds write " + found);
        }
        awaitAllSlotsIdle();
        assertEquals(PrimaryPipeline.REQUEST_SLOTS, pipeline.idleRequestObjects(), "a request object was not given back");
    }

    /** As {@link RemoteIoTest}'s twin: the local write takes the bytes the request was made over. */
    @Test
    void aLocalWriteTakesTheBytesItWasMadeOverWhateverTheBuffersIndicesSayLater() throws Exception {
        byte[] data = new byte[4096];
        new Random(8).nextBytes(data);
        ByteBuf buffer = PooledByteBufAllocator.DEFAULT.directBuffer(100 + data.length).writeZero(100).writeBytes(data);
        buffer.readerIndex(100);
        Hio hio = new Hio(org.hast.proto.HioCommand.WRITE, 3 * 4096, data.length, buffer, errno -> { });
        buffer.clear().writerIndex(10); // the caller reuses its buffer's indices
        CompletableFuture<Integer> done = new CompletableFuture<>();
        try (LocalIo io = new LocalIo(local, LOCAL_OFFSET, 1, 4, h -> done.complete(h.localError))) {
            io.submit(hio);
            assertEquals(0, await(done));
        } finally {
            buffer.release();
        }
        assertArrayEquals(data, onDisk(LOCAL_OFFSET + 3 * 4096, data.length));
    }

    /** The client is answered before its slot is freed, so the count catches up a moment later. */
    private void awaitAllSlotsIdle() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while ((pipeline.idleSlots() != PrimaryPipeline.REQUEST_SLOTS
                || pipeline.idleRequestObjects() != PrimaryPipeline.REQUEST_SLOTS) && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(PrimaryPipeline.REQUEST_SLOTS, pipeline.idleSlots());
    }

    @Test
    void closedPipelineRefuses() throws Exception {
        pipeline.close();
        CompletableFuture<Integer> f = new CompletableFuture<>();
        pipeline.flush(f::complete);
        assertEquals(108, await(f));
        assertTrue(Files.exists(file));
    }

    /**
     * A stale extent (A10) is only whole on the secondary: without it, a write there fails even
     * though the local disk took it, and a read fails rather than return the old local copy.
     */
    @Test
    void aStaleExtentNeedsTheSecondary() throws Exception {
        java.util.BitSet loaded = new java.util.BitSet();
        loaded.set(3);
        stale.restore(loaded);
        byte[] data = new byte[4096];
        java.util.Arrays.fill(data, (byte) 7);
        assertTrue(write(3L * EXTENT + 4096, data) != 0, "a write over a stale extent without the secondary");
        assertEquals(0, write(4L * EXTENT, data), "a write elsewhere goes on without the secondary");
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(4096);
        try {
            CompletableFuture<Integer> f = new CompletableFuture<>();
            pipeline.read(3L * EXTENT, 4096, buf, f::complete);
            assertTrue(await(f) != 0, "a read of a stale extent without the secondary fails");
        } finally {
            buf.release();
        }
    }

    /** Spec §4.6: memsync is a protocol-2 feature; a protocol-1 peer is replicated to in fullsync. */
    @Test
    void memsyncNeedsProtocolVersionTwo() {
        assertFalse(PrimaryPipeline.usesMemsync(ReplicationMode.MEMSYNC, 1),
                "a version-1 peer gets fullsync");
        assertTrue(PrimaryPipeline.usesMemsync(ReplicationMode.MEMSYNC, 2));
        assertFalse(PrimaryPipeline.usesMemsync(ReplicationMode.FULLSYNC, 2));
        assertFalse(PrimaryPipeline.usesMemsync(ReplicationMode.ASYNC, 2));
    }
}
