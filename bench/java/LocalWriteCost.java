import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

import org.hast.local.LocalComponent;

/**
 * The CPU one local data write costs the calling thread (bench/local-write-cost.sh): {@link
 * LocalComponent#writeFully} of a direct buffer at random aligned offsets, as a primary's
 * {@code local-N} thread or the secondary does per replicated write. Which path the write takes
 * ({@code FileChannel} or the native {@code pwrite}) is the JVM's {@code -Dhast.local.nativeIo}.
 * Prints the thread's CPU ns per write for each of R rounds of N writes, then the median.
 * Usage: {@code java -cp hastd.jar LocalWriteCost.java FILE SPAN BS N R}.
 */
public final class LocalWriteCost {
    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        long span = Long.parseLong(args[1]);
        int bs = Integer.parseInt(args[2]);
        int n = Integer.parseInt(args[3]);
        int rounds = Integer.parseInt(args[4]);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        ByteBuffer data = ByteBuffer.allocateDirect(bs);
        SplittableRandom random = new SplittableRandom(15);
        long[] perWrite = new long[rounds];
        LocalComponent local = LocalComponent.open(file);
        try {
            for (int round = -2; round < rounds; round++) {   // two rounds of JIT warm-up
                long cpu = threads.getCurrentThreadCpuTime();
                for (int i = 0; i < n; i++) {
                    long offset = random.nextLong(span / bs) * bs;
                    local.writeFully(data.clear(), offset);
                }
                if (round >= 0) {
                    perWrite[round] = (threads.getCurrentThreadCpuTime() - cpu) / n;
                }
            }
        } finally {
            local.close();
        }
        System.out.println("rounds " + Arrays.toString(perWrite) + " ns/write");
        Arrays.sort(perWrite);
        System.out.println("median " + perWrite[rounds / 2] + " ns/write");
    }
}
