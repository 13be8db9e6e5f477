package org.hast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import org.hast.daemon.supervision.WorkerMemory;
import org.hast.testing.HastCluster;
import org.hast.testing.HastNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Issue #20 point 3: the primary worker's memory is bounded for all clients together. Sixteen
 * clients pipeline 32 MiB WRITEs into the export and never read a reply, while a seventeenth
 * keeps writing, reading back and checking small blocks. The worker's RSS, sampled all along,
 * stays under the limit it is started with ({@link WorkerMemory#RSS_LIMIT_BYTES}), and so does the
 * secondary's, which receives the flood as 128 KiB replication requests (issue #15); the good
 * client keeps getting answers; once the flooders read their replies every one of them is a
 * success, and every acknowledged write is on both nodes' disks.
 */
class MemoryBoundIT {
    private static final String RESOURCE = "r0";
    private static final int FLOODERS = 16;
    private static final int WRITES_PER_FLOODER = 2;
    private static final int FLOOD_WRITE_BYTES = 32 << 20;
    private static final long FLOOD_BYTES = (long) FLOODERS * WRITES_PER_FLOODER * FLOOD_WRITE_BYTES;
    /** The good client's region, after the flood's. */
    private static final long GOOD_REGION = FLOOD_BYTES;
    private static final int GOOD_BLOCK = 64 << 10;
    private static final int GOOD_BLOCKS = 256;
    private static final long DISK_BYTES = FLOOD_BYTES + (64L << 20);
    /**
     * Generous: an answer that takes this long is not an answer. The good client's requests
     * queue behind the flooders' (first come, first served), about 10 s on a loaded 2-core box.
     */
    private static final long ANSWER_LIMIT_SECONDS = 60;

    private static final long NBDMAGIC = 0x4e42444d41474943L;
    private static final long IHAVEOPT = 0x49484156454F5054L;
    private static final int REQUEST_MAGIC = 0x25609513;
    private static final int SIMPLE_REPLY_MAGIC = 0x67446698;
    private static final short CMD_READ = 0;
    private static final short CMD_WRITE = 1;
    private static final short CMD_DISC = 2;
    private static final short CMD_FLUSH = 3;

    private HastCluster cluster;

    @AfterEach
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
            for (HastNode node : cluster.nodes()) {
                Files.deleteIfExists(node.disk(RESOURCE)); // a GiB each: not left in target/
            }
        }
    }

    @Test
    void floodOfUnreadWritesStaysWithinTheWorkerLimit(TestInfo test) throws Exception {
        long t0 = System.nanoTime();
        cluster = HastCluster.create(test.getTestMethod().orElseThrow().getName(), 2);
        cluster.createDisks(DISK_BYTES, RESOURCE);
        cluster.writeConfig("", "", RESOURCE);
        cluster.startPair(RESOURCE);
        HastNode a = cluster.node(0);
        HastNode b = cluster.node(1);
        long worker = a.workers().get(0).pid();
        Path export = a.exportSocket(RESOURCE);
        RssSampler rss = new RssSampler(worker);
        rss.start();
        // The flood reaches the secondary as 128 KiB replication requests: its worker is bounded too.
        RssSampler secondaryRss = new RssSampler(b.workers().get(0).pid());
        secondaryRss.start();

        try (SocketChannel good = connect(export)) {
            List<Flooder> flooders = new ArrayList<>();
            for (int i = 0; i < FLOODERS; i++) {
                flooders.add(new Flooder(i, connect(export)));
            }
            long floodStart = System.nanoTime();
            flooders.forEach(Thread::start);
            int cycles = 0;
            int cyclesDuringFlood = 0;
            long slowestCycleMillis = 0;
            ByteBuffer block = ByteBuffer.allocateDirect(GOOD_BLOCK);
            // The good client works for as long as the flooders are still pushing, and a bit.
            while (flooders.stream().anyMatch(Thread::isAlive) || cycles < 8) {
                long offset = GOOD_REGION + (long) (cycles % GOOD_BLOCKS) * GOOD_BLOCK;
                long cycleStart = System.nanoTime();
                fill(block, 1_000_000 + cycles, offset);
                answered(good, CMD_WRITE, offset, block, null, "good WRITE #" + cycles);
                ByteBuffer back = ByteBuffer.allocateDirect(GOOD_BLOCK);
                answered(good, CMD_READ, offset, null, back, "good READ #" + cycles);
                assertEquals(block.clear(), back.flip(), "good client read back what it wrote (#" + cycles + ")");
                cycles++;
                slowestCycleMillis = Math.max(slowestCycleMillis, (System.nanoTime() - cycleStart) / 1_000_000);
                if (flooders.stream().anyMatch(Thread::isAlive)) {
                    cyclesDuringFlood++;
                }
            }
            long floodMillis = (System.nanoTime() - floodStart) / 1_000_000;
            for (Flooder f : flooders) {
                f.join();
                if (f.failure != null) {
                    throw new AssertionError("flooder " + f.index + " could not send: " + f.failure
                            + " (worker RSS peak so far " + (rss.peak >> 20) + " MiB)\n" + a.logText(), f.failure);
                }
            }
            // Drain: every pipelined WRITE was answered, with success.
            for (Flooder f : flooders) {
                for (int k = 0; k < WRITES_PER_FLOODER; k++) {
                    ByteBuffer reply = readFully(f.channel, 16);
                    assertEquals(SIMPLE_REPLY_MAGIC, reply.getInt(), "reply magic");
                    assertEquals(0, reply.getInt(), "flooder " + f.index + " WRITE " + k + " errno");
                }
                disconnect(f.channel);
                f.channel.close();
            }
            answered(good, CMD_FLUSH, 0, null, null, "FLUSH");
            rss.stopAndJoin();
            secondaryRss.stopAndJoin();
            System.out.printf("memory: worker RSS %d MiB before the flood, peak %d MiB (limit %d MiB); "
                    + "secondary worker %d MiB before, peak %d MiB; flood of "
                    + "%d MiB sent in %d ms; good client: %d write/read cycles, %d of them during the flood, slowest %d ms; "
                    + "start-up took %d ms%n", rss.first >> 20, rss.peak >> 20, WorkerMemory.RSS_LIMIT_BYTES >> 20,
                    secondaryRss.first >> 20, secondaryRss.peak >> 20,
                    FLOOD_BYTES >> 20, floodMillis, cycles, cyclesDuringFlood, slowestCycleMillis,
                    (floodStart - t0) / 1_000_000);
            assertTrue(rss.peak < WorkerMemory.RSS_LIMIT_BYTES, "worker RSS peaked at " + (rss.peak >> 20)
                    + " MiB, over its limit of " + (WorkerMemory.RSS_LIMIT_BYTES >> 20) + " MiB");
            assertTrue(secondaryRss.peak < WorkerMemory.RSS_LIMIT_BYTES, "secondary worker RSS peaked at "
                    + (secondaryRss.peak >> 20) + " MiB, over its limit of " + (WorkerMemory.RSS_LIMIT_BYTES >> 20)
                    + " MiB");
            disconnect(good);
        } finally {
            rss.stopAndJoin();
            secondaryRss.stopAndJoin();
        }
        assertEquals(worker, a.workers().get(0).pid(), "the same worker served throughout\n" + a.logText());
        long verifyStart = System.nanoTime();
        long offA = a.localOffset(RESOURCE);
        long offB = b.localOffset(RESOURCE);
        for (int i = 0; i < FLOODERS; i++) {
            for (int k = 0; k < WRITES_PER_FLOODER; k++) {
                long offset = floodOffset(i, k);
                verify(a.disk(RESOURCE), offA, offset, FLOOD_WRITE_BYTES, floodId(i, k), "primary");
                verify(b.disk(RESOURCE), offB, offset, FLOOD_WRITE_BYTES, floodId(i, k), "secondary");
            }
        }
        System.out.printf("memory: verified both disks in %d ms%n", (System.nanoTime() - verifyStart) / 1_000_000);
    }

    private static long floodOffset(int flooder, int k) {
        return ((long) flooder * WRITES_PER_FLOODER + k) * FLOOD_WRITE_BYTES;
    }

    private static long floodId(int flooder, int k) {
        return flooder * 100L + k + 1;
    }

    /** A client that sends its WRITEs back to back and reads nothing until told to drain. */
    private static final class Flooder extends Thread {
        final int index;
        final SocketChannel channel;
        volatile Throwable failure;

        Flooder(int index, SocketChannel channel) {
            super("flooder-" + index);
            setDaemon(true);
            this.index = index;
            this.channel = channel;
        }

        @Override
        public void run() {
            ByteBuffer piece = ByteBuffer.allocateDirect(1 << 20);
            try {
                for (int k = 0; k < WRITES_PER_FLOODER; k++) {
                    long offset = floodOffset(index, k);
                    writeFully(channel, header(CMD_WRITE, offset, FLOOD_WRITE_BYTES));
                    for (int at = 0; at < FLOOD_WRITE_BYTES; at += piece.capacity()) {
                        fill(piece, floodId(index, k), offset + at);
                        writeFully(channel, piece);
                    }
                }
            } catch (IOException | RuntimeException e) {
                failure = e;
            }
        }
    }

    /** Samples the worker's VmRSS every 50 ms; {@link #peak} is the highest seen. */
    private static final class RssSampler extends Thread {
        private final Path status;
        private volatile boolean stopped;
        volatile long first = -1;
        volatile long peak;

        RssSampler(long pid) {
            super("rss-sampler");
            setDaemon(true);
            this.status = Path.of("/proc/" + pid + "/status");
        }

        @Override
        public void run() {
            while (!stopped) {
                try {
                    long rss = Files.readAllLines(status).stream().filter(l -> l.startsWith("VmRSS:"))
                            .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) << 10).findFirst()
                            .orElse(0);
                    if (first < 0) {
                        first = rss;
                    }
                    peak = Math.max(peak, rss);
                    Thread.sleep(50);
                } catch (IOException e) {
                    return; // the worker is gone: the test says why
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        void stopAndJoin() throws InterruptedException {
            stopped = true;
            join();
        }
    }

    /** A request answered within the limit, with success; a READ's data lands in {@code into}. */
    private static void answered(SocketChannel ch, short type, long offset, ByteBuffer data, ByteBuffer into,
            String what) throws Exception {
        int length = data != null ? data.remaining() : into != null ? into.remaining() : 0;
        CompletableFuture<Integer> errno = CompletableFuture.supplyAsync(() -> {
            try {
                writeFully(ch, header(type, offset, length));
                if (data != null) {
                    writeFully(ch, data.duplicate());
                }
                ByteBuffer reply = readFully(ch, 16);
                if (reply.getInt() != SIMPLE_REPLY_MAGIC) {
                    throw new IOException("bad reply magic");
                }
                int error = reply.getInt();
                if (error == 0 && into != null) {
                    while (into.hasRemaining()) {
                        if (ch.read(into) < 0) {
                            throw new EOFException("closed in a READ reply");
                        }
                    }
                }
                return error;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        try {
            assertEquals(0, errno.get(ANSWER_LIMIT_SECONDS, TimeUnit.SECONDS), what + " errno");
        } catch (TimeoutException e) {
            throw new AssertionError(what + ": no answer within " + ANSWER_LIMIT_SECONDS + " s");
        } catch (ExecutionException e) {
            throw new AssertionError(what + ": " + e.getCause(), e.getCause());
        }
    }

    private static final AtomicLong COOKIES = new AtomicLong();

    private static ByteBuffer header(short type, long offset, int length) {
        ByteBuffer h = ByteBuffer.allocate(28);
        h.putInt(REQUEST_MAGIC).putShort((short) 0).putShort(type).putLong(COOKIES.incrementAndGet())
                .putLong(offset).putInt(length).flip();
        return h;
    }

    /** Every 8-byte word names its writer and its own disk offset: misplaced data shows. */
    private static void fill(ByteBuffer buf, long id, long offset) {
        buf.clear();
        for (int i = 0; i < buf.capacity(); i += 8) {
            buf.putLong(i, word(id, offset + i));
        }
    }

    private static long word(long id, long offset) {
        return (id << 40) ^ offset;
    }

    private static void verify(Path disk, long localOff, long offset, int length, long id, String node)
            throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        try (FileChannel ch = FileChannel.open(disk)) {
            for (long at = 0; at < length; at += buf.capacity()) {
                buf.clear();
                while (buf.hasRemaining()) {
                    if (ch.read(buf, localOff + offset + at + buf.position()) < 0) {
                        throw new EOFException(disk + " ends early");
                    }
                }
                for (int i = 0; i < buf.capacity(); i += 8) {
                    long expected = word(id, offset + at + i);
                    if (buf.getLong(i) != expected) {
                        throw new AssertionError(node + ": acknowledged write " + id + " missing at data offset "
                                + (offset + at + i));
                    }
                }
            }
        }
    }

    private static SocketChannel connect(Path socket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        ByteBuffer greeting = readFully(ch, 18);
        assertEquals(NBDMAGIC, greeting.getLong());
        assertEquals(IHAVEOPT, greeting.getLong());
        boolean noZeroes = (greeting.getShort() & 2) != 0;
        byte[] name = RESOURCE.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ByteBuffer hello = ByteBuffer.allocate(4 + 16 + name.length);
        hello.putInt(noZeroes ? 3 : 1).putLong(IHAVEOPT).putInt(1).putInt(name.length).put(name).flip();
        writeFully(ch, hello);
        readFully(ch, 10 + (noZeroes ? 0 : 124));
        return ch;
    }

    private static void disconnect(SocketChannel ch) throws IOException {
        writeFully(ch, header(CMD_DISC, 0, 0));
    }

    private static ByteBuffer readFully(SocketChannel ch, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) {
                throw new EOFException("the export closed the connection");
            }
        }
        return buf.flip();
    }

    private static void writeFully(SocketChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }
}
