package org.hast.it.fault;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A log-structured writer on its own thread: whole 4 KiB blocks to consecutive blocks of a
 * region (wrapping around), {@code depth} requests in flight, a FLUSH after every
 * {@code flushEvery} acknowledged writes, each acknowledgement and completed FLUSH recorded in a
 * {@link WriteLog}. It runs until {@link #stop} or until the export fails a request or goes away
 * (a killed primary); that is not an error of the writer: the log says what was acknowledged.
 */
final class StreamWriter implements AutoCloseable {
    private final NbdClient client;
    private final WriteLog log;
    private final long firstBlock;
    private final long blockCount;
    private final int depth;
    private final int flushEvery;
    private final int stream;
    private final int blocksPerWrite;
    private final Semaphore window;
    private final AtomicLong sinceFlush = new AtomicLong();
    private final Thread thread;
    private volatile boolean stopping;
    private volatile boolean flushDue;
    private volatile Throwable failure;
    private long seq;

    StreamWriter(Path exportSocket, String export, WriteLog log, long firstBlock, long blockCount, int depth,
            int flushEvery, int stream) throws IOException {
        this(exportSocket, export, log, firstBlock, blockCount, depth, flushEvery, stream, 1);
    }

    /** As above, each write covering {@code blocksPerWrite} consecutive blocks (a multiple of the region). */
    StreamWriter(Path exportSocket, String export, WriteLog log, long firstBlock, long blockCount, int depth,
            int flushEvery, int stream, int blocksPerWrite) throws IOException {
        if (blockCount < 2L * depth * blocksPerWrite || blockCount % blocksPerWrite != 0) {
            throw new IllegalArgumentException("a region of " + blockCount + " blocks could overlap in flight");
        }
        this.client = NbdClient.connect(exportSocket, export);
        this.log = log;
        this.firstBlock = firstBlock;
        this.blockCount = blockCount;
        this.depth = depth;
        this.flushEvery = flushEvery;
        this.stream = stream;
        this.blocksPerWrite = blocksPerWrite;
        this.window = new Semaphore(depth);
        this.thread = new Thread(this::run, "stream-writer-" + stream);
    }

    StreamWriter start() {
        thread.start();
        return this;
    }

    private void run() {
        try {
            while (!stopping && failure == null) {
                if (flushDue) {
                    // Sent from this thread, never from the reply thread, which must keep reading.
                    flushDue = false;
                    flush();
                }
                if (!window.tryAcquire(200, TimeUnit.MILLISECONDS)) {
                    continue;
                }
                long block = firstBlock + (seq * blocksPerWrite) % blockCount;
                ByteBuffer data = ByteBuffer.allocate(blocksPerWrite * WriteLog.BLOCK);
                long[] sums = new long[blocksPerWrite];
                for (int i = 0; i < blocksPerWrite; i++) {
                    ByteBuffer one = WriteLog.content(block + i, seq, stream);
                    sums[i] = WriteLog.checksum(one);
                    data.put(one);
                    log.issued(block + i, sums[i]);
                }
                data.flip();
                seq++;
                client.write(block * WriteLog.BLOCK, data).whenComplete((ok, error) -> {
                    if (error == null) {
                        for (int i = 0; i < blocksPerWrite; i++) {
                            log.acknowledged(block + i, sums[i]);
                        }
                        if (sinceFlush.incrementAndGet() % flushEvery == 0) {
                            flushDue = true;
                        }
                    } else if (failure == null) {
                        failure = error;
                    }
                    window.release();
                });
            }
            // Drain: wait for the requests still in flight (they fail at once if the export died).
            window.tryAcquire(depth, 120, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void flush() {
        long mark = log.flushSent();
        client.flush().whenComplete((ok, error) -> {
            if (error == null) {
                log.flushDone(mark);
            } else if (failure == null) {
                failure = error;
            }
        });
    }

    /** A FLUSH now, waited for: everything acknowledged so far is then covered. */
    void flushAndWait() throws IOException, InterruptedException {
        long mark = log.flushSent();
        WriteLog.get(client.flush());
        log.flushDone(mark);
    }

    /** Writes sent so far. */
    long sent() {
        return seq;
    }

    /** Why the stream stopped on its own (a failed request or a lost export), or null. */
    Throwable failure() {
        return failure;
    }

    boolean running() {
        return thread.isAlive();
    }

    /** Stops sending, waits for the requests in flight. */
    void stop() throws InterruptedException {
        stopping = true;
        thread.join(180_000);
    }

    /** Blocks until the stream has stopped on its own (its export died), at most {@code millis}. */
    boolean awaitEnd(long millis) throws InterruptedException {
        thread.join(millis);
        return !thread.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        stop();
        client.close();
    }
}
