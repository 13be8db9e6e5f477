package org.hast.primary;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

import org.hast.block.InflightBudget;
import org.hast.codec.ChecksumAlgorithm;
import org.hast.codec.Compression;
import org.hast.codec.PayloadCodec;
import org.hast.proto.Capabilities;
import org.hast.integrity.BlockHashes;
import org.hast.proto.HioCommand;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Synchronisation steps against online verify steps on one range (docs/integrity.md): each
 * waits for the other, so a comparison never sees a copy half done. The two nodes are byte
 * arrays; the test completes the steps' requests itself, in the order that is worst for the
 * comparison (local I/O threads and the link do not order a verify's requests against a copy's).
 */
class SyncStepsTest {
    private static final int EXTENT = 1 << 20;
    private static final int STEP = 128 * 1024;

    private final byte[] local = new byte[EXTENT];
    private final byte[] remote = new byte[EXTENT];
    /** Requests the steps submitted, not yet completed. */
    private final LinkedBlockingDeque<Hio> submitted = new LinkedBlockingDeque<>();
    private final StaleExtents stale = new StaleExtents(EXTENT, null, () -> 1);
    private final HashedSteps hashed = new HashedSteps(submitted::add);
    private final SyncSteps steps = new SyncSteps(new SyncRanges(8), stale, new InflightBudget(64L << 20),
            submitted::add, () -> false, hashed, () -> false, capability -> false, new PayloadCodec());

    @AfterEach
    void tearDown() {
        stale.close();
    }

    /** Does what the local component or the secondary would do with {@code hio}. */
    private void complete(Hio hio) {
        byte[] disk = hio.toLocal ? local : remote;
        if (hio.cmd == HioCommand.READ) {
            hio.data.writeBytes(disk, (int) hio.offset, hio.length);
        } else if (hio.cmd == HioCommand.WRITE) {
            hio.data.readBytes(disk, (int) hio.offset, hio.length);
            hio.data.release();
        } else if (hio.cmd == HioCommand.HASH) {
            ByteBuffer digests = ByteBuffer.allocate(BlockHashes.digestBytes(hio.length));
            new BlockHashes().hash(ByteBuffer.wrap(disk, (int) hio.offset, hio.length), digests);
            hio.data.writeBytes(digests.flip());
        }
        hio.piece.done(0);
    }

    /** Completes the first waiting request that {@code which} accepts; false when there is none. */
    private boolean completeFirst(Predicate<Hio> which) {
        for (Hio hio : submitted) {
            if (which.test(hio) && submitted.remove(hio)) {
                complete(hio);
                return true;
            }
        }
        return false;
    }

    private static boolean blocked(Thread t) {
        Thread.State s = t.getState();
        return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING || s == Thread.State.TERMINATED;
    }

    /**
     * The primary's copy of an extent is stale and is being copied from the secondary; the copy's
     * local WRITE is in flight when a verify step reaches the range. Had the verify read the
     * local copy before that write landed, it would report every block as differing, although
     * neither copy was ever wrong once the copy was done (and the bitmap no longer has the
     * extent pending once the cursor left it). It must wait and find nothing.
     */
    @Test
    void verifyWaitsForASyncStepOnItsRange() throws Exception {
        new Random(1).nextBytes(remote); // the secondary's copy is the current one
        CompletableFuture<Integer> copied = new CompletableFuture<>();
        steps.copy(0, STEP, true, copied::complete);
        assertTrue(completeFirst(h -> h.cmd == HioCommand.READ && h.toRemote), "the copy reads the secondary");
        Hio write = submitted.peek();
        assertEquals(HioCommand.WRITE, write.cmd);
        assertTrue(write.toLocal);

        CompletableFuture<Long> verified = new CompletableFuture<>();
        Thread verify = new Thread(() -> {
            try {
                steps.verify(0, STEP, (errno, differing) -> {
                    assertEquals(0, errno);
                    verified.complete(differing);
                });
            } catch (Throwable e) {
                verified.completeExceptionally(e);
            }
        }, "verify");
        verify.start();
        // The verify step either submitted both its requests or waits for the range.
        while (submitted.size() < 3 && !blocked(verify)) {
            Thread.sleep(1);
        }
        // Worst order: whatever the verify submitted runs before the copy's write lands.
        while (completeFirst(h -> h != write)) {
            // only the verify's requests
        }
        assertTrue(completeFirst(h -> h == write));
        assertEquals(0, copied.get(10, TimeUnit.SECONDS));
        while (!verified.isDone()) {
            if (!completeFirst(h -> true)) {
                Thread.sleep(1);
            }
        }
        verify.join(10_000);
        assertArrayEquals(Arrays.copyOf(remote, STEP), Arrays.copyOf(local, STEP));
        assertEquals(0L, verified.get(), "a difference reported for a copy in flight");
    }

    /**
     * The other way round: a sync step that reaches a range while a verify step compares it
     * submits nothing until the comparison is over, and the comparison sees the copies as they
     * were before the copy (one differing block), not half copied.
     */
    @Test
    void syncStepWaitsForAVerifyStepOnItsRange() throws Exception {
        new Random(2).nextBytes(local);
        System.arraycopy(local, 0, remote, 0, EXTENT);
        remote[5 * BlockHashes.BLOCK + 7] ^= 1; // block 5 differs on the secondary

        CompletableFuture<Long> verified = new CompletableFuture<>();
        steps.verify(0, STEP, (errno, differing) -> verified.complete(differing));
        assertEquals(2, submitted.size(), "the local read and the secondary's hashes");

        CompletableFuture<Integer> copied = new CompletableFuture<>();
        Thread sync = new Thread(() -> {
            try {
                steps.copy(0, STEP, false, copied::complete);
            } catch (InterruptedException e) {
                copied.completeExceptionally(e);
            }
        }, "sync");
        sync.start();
        while (submitted.size() < 3 && !blocked(sync)) {
            Thread.sleep(1);
        }
        assertEquals(2, submitted.size(), "the sync step submitted I/O on a range under comparison");
        assertTrue(completeFirst(h -> h.cmd == HioCommand.READ));
        assertTrue(completeFirst(h -> h.cmd == HioCommand.HASH));
        assertEquals(1L << 5, verified.get(10, TimeUnit.SECONDS));
        while (!copied.isDone()) {
            if (!completeFirst(h -> true)) {
                Thread.sleep(1);
            }
        }
        sync.join(10_000);
        assertEquals(0, copied.get());
        assertArrayEquals(local, remote);
    }

    /**
     * Steps of 1 MiB only with a peer that negotiated {@link Capabilities#LARGE_REQUESTS} (ours;
     * a FreeBSD secondary never answers it), and never where a step must fit 128 KiB:
     * checksum synchronisation and {@code lzf}.
     */
    @Test
    void largeStepsOnlyWithAPeerThatNegotiatedThem() {
        PayloadCodec codec = new PayloadCodec(Compression.HOLE, ChecksumAlgorithm.CRC32);
        AtomicBoolean checksum = new AtomicBoolean();
        AtomicBoolean negotiated = new AtomicBoolean();
        SyncSteps cut = new SyncSteps(new SyncRanges(8), stale, new InflightBudget(64L << 20), submitted::add,
                () -> false, hashed, checksum::get,
                capability -> negotiated.get() && capability == Capabilities.LARGE_REQUESTS, codec);
        assertEquals(STEP, cut.maxCopyBytes(), "a peer without the capability: the reference's MAXPHYS");
        negotiated.set(true);
        assertEquals(1 << 20, cut.maxCopyBytes());
        checksum.set(true);
        assertEquals(STEP, cut.maxCopyBytes(), "checksum synchronisation");
        checksum.set(false);
        codec.configure(Compression.LZF, ChecksumAlgorithm.NONE);
        assertEquals(STEP, cut.maxCopyBytes(), "lzf");
    }

    /**
     * A 1 MiB step to the secondary with {@code hole} compression: its all-zero 128 KiB pieces
     * travel as WRITEs of their own (4 bytes each on the wire), the rest as runs as long as
     * they get; the bytes that arrive are the primary's.
     */
    @Test
    void zeroPiecesOfALargeStepTravelApart() throws Exception {
        SyncSteps cut = new SyncSteps(new SyncRanges(8), stale, new InflightBudget(64L << 20), submitted::add,
                () -> false, hashed, () -> false, capability -> true, new PayloadCodec(Compression.HOLE,
                ChecksumAlgorithm.NONE));
        Random random = new Random(3);
        // pieces 0-1 data, 2-4 zero, 5 data, 6-7 zero
        for (int piece : new int[] {0, 1, 5}) {
            byte[] data = new byte[STEP];
            random.nextBytes(data);
            System.arraycopy(data, 0, local, piece * STEP, STEP);
        }
        Arrays.fill(remote, (byte) 0x55);
        CompletableFuture<Integer> copied = new CompletableFuture<>();
        cut.copy(0, EXTENT, false, copied::complete);
        assertTrue(completeFirst(h -> h.cmd == HioCommand.READ && h.toLocal));
        List<String> writes = new ArrayList<>();
        for (Hio hio : submitted) {
            assertEquals(HioCommand.WRITE, hio.cmd);
            assertTrue(hio.toRemote);
            writes.add(hio.offset / STEP + "+" + hio.length / STEP);
        }
        assertEquals(List.of("0+2", "2+3", "5+1", "6+2"), writes);
        while (completeFirst(h -> true)) {
            // every WRITE lands
        }
        assertEquals(0, copied.get(10, TimeUnit.SECONDS));
        assertArrayEquals(local, remote);

        // Random data throughout: one WRITE for the whole step.
        random.nextBytes(local);
        CompletableFuture<Integer> again = new CompletableFuture<>();
        cut.copy(0, EXTENT, false, again::complete);
        assertTrue(completeFirst(h -> h.cmd == HioCommand.READ));
        assertEquals(1, submitted.size());
        assertEquals(EXTENT, submitted.peek().length);
        assertTrue(completeFirst(h -> true));
        assertEquals(0, again.get(10, TimeUnit.SECONDS));
        assertArrayEquals(local, remote);
    }
}
