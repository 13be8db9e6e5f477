package org.hast.device.ggate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.hast.util.SysExits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The GEOM Gate bridge against {@link SimulatedGgctl}, the kernel side of {@code g_gate.c} in
 * process: the block-device checks the NBD bridges pass (random I/O with verification, flush
 * ordering, a worker killed and replaced), and the kernel protocol's corners (ENOMEM resize,
 * ECANCELED on destroy, EEXIST takeover, errno numbering).
 */
class GgateBridgeTest {
    private static final String NAME = "shared";
    private static final String GATE = "hast/" + NAME;
    private static final int SECTOR = 512;
    private static final int MIB = 1 << 20;

    private final SimulatedGgctl kernel = new SimulatedGgctl();
    private final List<String> fatal = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> cleanup = new ArrayList<>();

    private GgateBridge bridge(int threads, int bufferBytes) {
        GgateBridge bridge = new GgateBridge(kernel, "/dev/ggctl", threads, bufferBytes,
                (code, message) -> fatal.add(code + " " + message));
        cleanup.add(0, bridge::detach);
        return bridge;
    }

    private MemoryBackend backend(int size) {
        MemoryBackend backend = new MemoryBackend(size, SECTOR);
        cleanup.add(backend);
        return backend;
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : cleanup) {
            c.close();
        }
    }

    private int io(int cmd, long offset, long length, byte[] data) throws Exception {
        return kernel.submit(GATE, cmd, offset, length, data).error.get(20, TimeUnit.SECONDS);
    }

    private byte[] read(long offset, int length) throws Exception {
        SimulatedGgctl.Bio bio = kernel.submit(GATE, GgateAbi.BIO_READ, offset, length, null);
        assertEquals(0, bio.error.get(20, TimeUnit.SECONDS));
        return bio.data;
    }

    private static byte[] random(Random random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    @Test
    void createsHastNameWithSizeAndSectorAndSequenceStartsAtOne() throws Exception {
        MemoryBackend backend = backend(4 * MIB);
        GgateBridge bridge = bridge(2, GgateBridge.DEFAULT_BUFFER_BYTES);
        bridge.attach(NAME, backend, NAME);
        assertTrue(kernel.exists(GATE));
        assertEquals(Paths.get("/dev/hast/shared"), bridge.devicePath());
        assertEquals(0, bridge.unit());
        byte[] data = random(new Random(1), 4096);
        assertEquals(0, io(GgateAbi.BIO_WRITE, 8192, 4096, data));
        assertArrayEquals(data, read(8192, 4096));
        assertEquals(List.of(1L, 2L), kernel.startedSeqs());
        assertArrayEquals(data, Arrays.copyOfRange(backend.contents(), 8192, 8192 + 4096));
    }

    /** Four writers on disjoint quarters, random sizes up to MAXPHYS, every read checked. */
    @Test
    void randomIoWithVerification() throws Exception {
        int size = 16 * MIB;
        MemoryBackend backend = backend(size);
        bridge(8, GgateBridge.DEFAULT_BUFFER_BYTES).attach(NAME, backend, NAME);
        byte[] shadow = new byte[size];
        ExecutorService writers = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                int region = w;
                done.add(writers.submit(() -> {
                    Random random = new Random(region);
                    int base = region * (size / 4);
                    for (int i = 0; i < 80; i++) {
                        int sectors = 1 + random.nextInt(GgateAbi.MAXPHYS / SECTOR);
                        int length = sectors * SECTOR;
                        int offset = base + random.nextInt((size / 4 - length) / SECTOR + 1) * SECTOR;
                        int op = random.nextInt(10);
                        if (op < 5) {
                            byte[] data = random(random, length);
                            assertEquals(0, io(GgateAbi.BIO_WRITE, offset, length, data));
                            synchronized (shadow) {
                                System.arraycopy(data, 0, shadow, offset, length);
                            }
                        } else if (op < 8) {
                            byte[] expected;
                            synchronized (shadow) {
                                expected = Arrays.copyOfRange(shadow, offset, offset + length);
                            }
                            assertArrayEquals(expected, read(offset, length), "read at " + offset);
                        } else if (op < 9) {
                            assertEquals(0, io(GgateAbi.BIO_DELETE, offset, length, null));
                            synchronized (shadow) {
                                Arrays.fill(shadow, offset, offset + length, (byte) 0);
                            }
                        } else {
                            assertEquals(0, io(GgateAbi.BIO_FLUSH, 0, 0, null));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            writers.shutdownNow();
        }
        for (int offset = 0; offset < size; offset += GgateAbi.MAXPHYS) {
            assertArrayEquals(Arrays.copyOfRange(shadow, offset, offset + GgateAbi.MAXPHYS),
                    read(offset, GgateAbi.MAXPHYS), "device at " + offset);
        }
        assertArrayEquals(shadow, backend.contents());
        assertTrue(kernel.enomemAnswers() > 0, "writes over 128 KiB grew a buffer");
        assertEquals(List.of(), fatal);
    }

    /** A flush answered after writes were acknowledged has made every one of them stable. */
    @Test
    void flushCoversEveryWriteAcknowledgedBeforeIt() throws Exception {
        MemoryBackend backend = backend(4 * MIB);
        bridge(4, GgateBridge.DEFAULT_BUFFER_BYTES).attach(NAME, backend, NAME);
        Random random = new Random(7);
        for (int round = 0; round < 20; round++) {
            List<SimulatedGgctl.Bio> writes = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                writes.add(kernel.submit(GATE, GgateAbi.BIO_WRITE, (round * 6L + i) * 8192 % (4 * MIB), 8192,
                        random(random, 8192)));
            }
            for (SimulatedGgctl.Bio write : writes) {
                assertEquals(0, write.error.get(20, TimeUnit.SECONDS));
            }
            assertEquals(0, io(GgateAbi.BIO_FLUSH, 0, 0, null));
            byte[] durable = backend.durable();
            for (SimulatedGgctl.Bio write : writes) {
                assertArrayEquals(write.data, Arrays.copyOfRange(durable, (int) write.offset,
                        (int) (write.offset + write.length)), "round " + round + " at " + write.offset);
            }
        }
        assertEquals(20, backend.flushes.get());
    }

    @Test
    void writeLongerThanTheBufferGetsEnomemAndARetryWithABiggerOne() throws Exception {
        MemoryBackend backend = backend(4 * MIB);
        bridge(1, 4096).attach(NAME, backend, NAME);
        byte[] data = random(new Random(3), GgateAbi.MAXPHYS);
        assertEquals(0, io(GgateAbi.BIO_WRITE, 0, data.length, data));
        assertEquals(1, kernel.enomemAnswers());
        assertArrayEquals(data, read(0, data.length));
        byte[] big = random(new Random(4), 2 * MIB);
        assertEquals(0, io(GgateAbi.BIO_WRITE, MIB, big.length, big)); // larger than the grown buffer
        assertArrayEquals(big, read(MIB, big.length));
        assertEquals(2, kernel.enomemAnswers());
    }

    @Test
    void backendErrnoReachesTheKernelInFreeBsdNumbers() throws Exception {
        MemoryBackend backend = backend(MIB);
        bridge(2, GgateBridge.DEFAULT_BUFFER_BYTES).attach(NAME, backend, NAME);
        backend.failNextWith(95); // Linux EOPNOTSUPP
        assertEquals(45, io(GgateAbi.BIO_FLUSH, 0, 0, null));
        backend.failNextWith(28); // ENOSPC, the same on both
        assertEquals(28, io(GgateAbi.BIO_WRITE, 0, 512, new byte[512]));
        backend.failNextWith(125); // Linux ECANCELED
        assertEquals(85, io(GgateAbi.BIO_READ, 0, 512, null));
        assertEquals(45, io(GgateAbi.BIO_GETATTR, 0, 0, null), "BIO_GETATTR is not supported");
        assertEquals(List.of(), fatal);
    }

    @Test
    void detachDestroysTheUnitStartsEndWithEcanceledAndQueuedBiosFail() throws Exception {
        MemoryBackend backend = backend(MIB);
        GgateBridge bridge = bridge(2, GgateBridge.DEFAULT_BUFFER_BYTES);
        bridge.attach(NAME, backend, NAME);
        backend.hold();
        List<SimulatedGgctl.Bio> bios = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            bios.add(kernel.submit(GATE, GgateAbi.BIO_WRITE, i * 4096L, 4096, new byte[4096]));
        }
        assertTrue(kernel.await(() -> kernel.inFlight(GATE) == 2 && kernel.queued(GATE) == 3));
        Thread detacher = new Thread(() -> {
            try {
                bridge.detach();
            } catch (IOException e) {
                fatal.add("detach: " + e.getMessage());
            }
        });
        detacher.start();
        assertTrue(kernel.await(() -> !kernel.exists(GATE)));
        for (SimulatedGgctl.Bio bio : bios) {
            assertEquals(6, bio.error.get(20, TimeUnit.SECONDS), "ENXIO for what was queued or in flight");
        }
        backend.release(); // the two threads' DONEs now find no unit, quietly: the bridge is leaving
        detacher.join(20_000);
        assertFalse(detacher.isAlive());
        assertEquals(0, kernel.openDescriptors());
        assertNull(bridge.devicePath());
        assertEquals(6, io(GgateAbi.BIO_WRITE, 0, 512, new byte[512]), "the provider is gone");
        assertEquals(List.of(), fatal);

        // The STARTs waiting with nothing queued end with ECANCELED.
        bridge.attach(NAME, backend, NAME);
        assertTrue(kernel.await(() -> kernel.waitingStarts() == 2));
        bridge.detach();
        assertEquals(2, kernel.cancelledStarts());
    }

    /**
     * A worker dies with requests taken from the kernel and not answered; the next one finds
     * the name taken (EEXIST), takes the unit over with CANCEL, and serves the requeued requests
     * with their sequence numbers; the file system above never sees an error.
     */
    @Test
    void killedWorkersUnitIsTakenOverAndItsRequestsServedAgain() throws Exception {
        MemoryBackend storage = backend(4 * MIB);
        MemoryBackend stuck = backend(4 * MIB);
        stuck.hold();
        GgateBridge first = new GgateBridge(kernel, "/dev/ggctl", 3, GgateBridge.DEFAULT_BUFFER_BYTES,
                (code, message) -> fatal.add(code + " " + message));
        first.attach(NAME, stuck, NAME);
        int unit = first.unit();
        Random random = new Random(11);
        List<SimulatedGgctl.Bio> writes = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            writes.add(kernel.submit(GATE, GgateAbi.BIO_WRITE, i * 65536L, 65536, random(random, 65536)));
        }
        assertTrue(kernel.await(() -> kernel.inFlight(GATE) == 3 && kernel.queued(GATE) == 3));
        kernel.kill(100); // the first worker's /dev/ggctl descriptor

        GgateBridge second = bridge(2, GgateBridge.DEFAULT_BUFFER_BYTES);
        second.attach(NAME, storage, NAME);
        assertEquals(unit, second.unit(), "the same unit, recovered by name");
        for (SimulatedGgctl.Bio write : writes) {
            assertEquals(0, write.error.get(20, TimeUnit.SECONDS));
            assertArrayEquals(write.data, read(write.offset, (int) write.length));
        }
        List<Long> seqs = kernel.startedSeqs();
        assertEquals(List.of(1L, 2L, 3L), seqs.subList(0, 3).stream().sorted().toList());
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), seqs.subList(3, 9).stream().sorted().toList(),
                "requeued requests come back with their seq, then the rest");

        // The dead worker's threads wake up to a descriptor that no longer exists.
        stuck.release();
        assertTrue(kernel.await(() -> fatal.size() == 3));
        fatal.forEach(message -> assertTrue(message.startsWith(SysExits.EX_OSERR + " G_GATE_CMD_DONE failed"),
                message));
    }

    @Test
    void createFailureOtherThanEexistIsAnErrorAndLeavesNothingOpen() {
        MemoryBackend backend = new MemoryBackend(1000, SECTOR); // not a multiple of the sector size
        cleanup.add(backend);
        GgateBridge bridge = bridge(1, GgateBridge.DEFAULT_BUFFER_BYTES);
        IOException e = assertThrows(IOException.class, () -> bridge.attach(NAME, backend, NAME));
        assertEquals("G_GATE_CMD_CREATE failed: FreeBSD errno 22", e.getMessage());
        assertEquals(0, kernel.openDescriptors());
        assertNull(bridge.devicePath());
    }

    @Test
    void refusesNamesGeomCannotTakeAndTheSocketAttach() {
        GgateBridge bridge = bridge(1, GgateBridge.DEFAULT_BUFFER_BYTES);
        MemoryBackend backend = backend(MIB);
        assertThrows(IllegalArgumentException.class, () -> bridge.attach("a/b", backend, "a/b"));
        assertThrows(IllegalArgumentException.class, () -> bridge.attach("x".repeat(250), backend, "x"));
        assertThrows(UnsupportedOperationException.class,
                () -> bridge.attach(NAME, Paths.get("/tmp/sock"), NAME, MIB));
        assertTrue(bridge.servesBackendDirectly());
    }
}
