package org.hast.it;

import java.nio.ByteBuffer;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.hast.codec.ChecksumAlgorithm;
import org.hast.codec.Compression;
import org.hast.codec.PayloadCodec;
import org.hast.proto.RequestHeader;

/**
 * Benchmark driver (not a test): a test primary streams WRITE requests of one block size to a
 * running secondary for a number of seconds with a fixed number in flight, and prints the
 * secondary's apply rate in MB/s (10^6 bytes). Used by bench/secondary-apply.sh.
 *
 * <p>Arguments: port resource dataBytes blockBytes seconds depth
 */
public final class ApplyRateBench {
    private ApplyRateBench() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        String resource = args[1];
        long dataBytes = Long.parseLong(args[2]);
        int block = Integer.parseInt(args[3]);
        int seconds = Integer.parseInt(args[4]);
        int depth = Integer.parseInt(args[5]);
        byte[] pattern = new byte[block];
        new java.util.Random(1).nextBytes(pattern);
        try (TestPrimary primary = TestPrimary.connect(port, resource, 0x5eed, 0, 0, true)) {
            Semaphore inFlight = new Semaphore(depth);
            AtomicLong done = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            Thread receiver = new Thread(() -> {
                try {
                    while (true) {
                        TestPrimary.Message reply = primary.reply();
                        if (reply.nv().getInt16("error") != 0) {
                            throw new IllegalStateException("error reply " + reply.nv());
                        }
                        done.incrementAndGet();
                        inFlight.release();
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                    inFlight.release(depth);
                }
            });
            receiver.setDaemon(true);
            receiver.start();
            PayloadCodec codec = new PayloadCodec(Compression.NONE, ChecksumAlgorithm.NONE);
            long blocks = dataBytes / block;
            long seq = 1;
            long start = System.nanoTime();
            while (System.nanoTime() < end && failure.get() == null) {
                inFlight.acquire();
                long offset = ((seq - 1) % blocks) * block;
                primary.request(RequestHeader.write(seq, offset, block, false).toNv(), ByteBuffer.wrap(pattern), codec);
                seq++;
            }
            inFlight.acquire(depth);
            double elapsed = (System.nanoTime() - start) / 1e9;
            if (failure.get() != null && done.get() < seq - 1) {
                throw new IllegalStateException("link failed", failure.get());
            }
            System.out.printf("%.1f%n", done.get() * (double) block / elapsed / 1e6);
        }
    }
}
