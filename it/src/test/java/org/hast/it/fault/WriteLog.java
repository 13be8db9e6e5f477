package org.hast.it.fault;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.zip.CRC32C;

/**
 * What the writers were told, block by block, and the check of it against an export.
 *
 * <p>Every write covers one whole 4 KiB block (no two writes to a block are ever in flight at
 * once), so "the last acknowledged write wins" is per block. For each block the log keeps the
 * checksum of the last acknowledged content and when it was acknowledged (a global ack index),
 * plus the checksums of writes that were sent but never acknowledged (they may or may not have
 * landed). A FLUSH covers every write acknowledged before it was sent; the log remembers the
 * highest ack index covered by a completed FLUSH.
 *
 * <p>{@link #verify}: a block holding its acknowledged content, or one of its unacknowledged
 * candidates, is fine; otherwise it is <em>lost</em> if its acknowledged write was covered by a
 * completed FLUSH (a real loss), <em>unflushed</em> if not (allowed by the NBD contract, and
 * what async mode may drop, see docs/fault-tests.md). What was found becomes the new baseline.
 */
final class WriteLog {
    static final int BLOCK = 4096;
    private static final long MAGIC = 0x48415354464c5431L; // "HASTFLT1"
    private static final long ZERO_SUM = checksum(ByteBuffer.allocate(BLOCK));

    private static final class Block {
        long sum = ZERO_SUM;
        /** 0: a baseline (initial zeros or verified content), durable by definition. */
        long ackIndex;
        final Set<Long> candidates = new HashSet<>();
    }

    /** The outcome of one verification. */
    record Result(int blocks, int lost, int unflushed, List<String> details) {
        @Override
        public String toString() {
            return blocks + " blocks checked, " + lost + " flushed writes lost, " + unflushed
                    + " unflushed writes missing" + (details.isEmpty() ? "" : "; first: " + details);
        }
    }

    private final Map<Long, Block> blocks = new TreeMap<>();
    private long ackCounter;
    private long flushedThrough;
    private long acked;
    private long flushes;

    /** The content a stream writes to {@code block} as its {@code seq}-th write. */
    static ByteBuffer content(long block, long seq, int stream) {
        ByteBuffer buf = ByteBuffer.allocate(BLOCK);
        buf.putLong(MAGIC).putLong(block).putLong(seq).putInt(stream);
        SplittableRandom random = new SplittableRandom(block * 1_000_003L + seq * 31 + stream);
        while (buf.remaining() >= 8) {
            buf.putLong(random.nextLong());
        }
        while (buf.hasRemaining()) {
            buf.put((byte) random.nextInt());
        }
        return buf.flip();
    }

    static long checksum(ByteBuffer data) {
        CRC32C crc = new CRC32C();
        crc.update(data.duplicate());
        return crc.getValue();
    }

    synchronized void issued(long block, long sum) {
        blocks.computeIfAbsent(block, b -> new Block()).candidates.add(sum);
    }

    synchronized void acknowledged(long block, long sum) {
        Block b = blocks.get(block);
        b.sum = sum;
        b.ackIndex = ++ackCounter;
        // Anything sent to this block earlier finished before this write was sent.
        b.candidates.clear();
        acked++;
    }

    /** Called when a FLUSH is sent: it will cover everything acknowledged so far. */
    synchronized long flushSent() {
        return ackCounter;
    }

    synchronized void flushDone(long mark) {
        flushedThrough = Math.max(flushedThrough, mark);
        flushes++;
    }

    synchronized long acked() {
        return acked;
    }

    synchronized long flushes() {
        return flushes;
    }

    /** Acknowledged writes not yet covered by a completed FLUSH. */
    synchronized long unflushedAcks() {
        return ackCounter - flushedThrough;
    }

    /** Reads every block ever written through {@code client} and classifies it (see class doc). */
    synchronized Result verify(NbdClient client) throws IOException, InterruptedException {
        List<Long> numbers = new ArrayList<>(blocks.keySet());
        int lost = 0;
        int unflushed = 0;
        List<String> details = new ArrayList<>();
        int maxRun = 256; // 1 MiB reads
        for (int i = 0; i < numbers.size();) {
            int j = i + 1;
            while (j < numbers.size() && j - i < maxRun && numbers.get(j) == numbers.get(j - 1) + 1) {
                j++;
            }
            ByteBuffer data = get(client.read(numbers.get(i) * BLOCK, (j - i) * BLOCK));
            for (int k = i; k < j; k++) {
                long number = numbers.get(k);
                Block b = blocks.get(number);
                long found = checksum(data.slice((k - i) * BLOCK, BLOCK));
                if (found != b.sum && !b.candidates.contains(found)) {
                    boolean flushed = b.ackIndex <= flushedThrough;
                    if (flushed) {
                        lost++;
                    } else {
                        unflushed++;
                    }
                    if (details.size() < 10) {
                        ByteBuffer header = data.slice((k - i) * BLOCK, 24);
                        details.add("block " + number + (flushed ? " (flushed)" : " (unflushed)") + " holds "
                                + (header.getLong() == MAGIC ? "seq " + header.getLong(16) : "no stream data"));
                    }
                }
                b.sum = found;
                b.ackIndex = 0;
                b.candidates.clear();
            }
            i = j;
        }
        return new Result(numbers.size(), lost, unflushed, details);
    }

    static <T> T get(java.util.concurrent.CompletableFuture<T> future) throws IOException, InterruptedException {
        try {
            return future.get(120, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("NBD request unanswered after 120 s", e);
        }
    }
}
