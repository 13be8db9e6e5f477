import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.hast.activemap.ActiveMap;
import org.hast.conf.LocalIoMode;
import org.hast.local.ComponentIo;
import org.hast.local.LocalComponent;
import org.hast.meta.MetadataCodec;
import org.hast.role.WorkerStats;
import org.hast.sync.DirtyMap;

/**
 * What one durable activemap mark costs, by part (bench/mark-cost.sh): run by the JDK's
 * source launcher against the built hastd jar. Interleaves, N times each, with an idle gap
 * between operations as at queue depth 1:
 * <ul>
 * <li>{@code flush}: {@code fdatasync} of the component with nothing dirty (the device's cache flush alone);</li>
 * <li>{@code bitmap write}: {@link LocalComponent#writeDurably} of the bitmap (O_DSYNC pwrite: one write and a flush);</li>
 * <li>the alternatives for that write: {@code pwrite} then {@code fdatasync} (what it was before), and a 4 KiB
 *     {@code O_DIRECT|O_DSYNC} write (FUA instead of a flush where the device has FUA). {@code pwritev2(RWF_DSYNC)}
 *     is not measured: the kernel takes the same path as for an {@code O_DSYNC} descriptor (IOCB_DSYNC, then
 *     {@code generic_write_sync});</li>
 * <li>{@code mark}: {@link DirtyMap#writeStart} on an extent not yet dirty until its continuation runs
 *     on the flusher thread, in three parts: the hand-off to the {@code activemap} thread (until its
 *     bitmap write enters the system call), the write, and the release (from the write's return to the
 *     continuation).</li>
 * </ul>
 * Usage: {@code java -cp hastd.jar MarkCost.java FILE N}; FILE exists and holds at least 1 GiB + 8 KiB.
 */
public final class MarkCost {
    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        int n = Integer.parseInt(args[1]);
        long dataSize = 1L << 30;
        int extent = 2 << 20;
        ActiveMap map = new ActiveMap(dataSize, extent, 1, 512);
        long[] flush = new long[n];
        long[] write = new long[n];
        long[] mark = new long[n];
        long[] writeThenSync = new long[n];
        long[] directSync = new long[n];
        long[] handOff = new long[n];
        long[] markWrite = new long[n];
        long[] release = new long[n];
        AtomicLong entered = new AtomicLong();
        AtomicLong returned = new AtomicLong();
        try (LocalComponent local = LocalComponent.open(file, LocalIoMode.BUFFERED, io -> timed(io, entered, returned));
                DirtyMap dirty = new DirtyMap(map, local, MetadataCodec.METADATA_SIZE + map.onDiskSize(), new WorkerStats(), true)) {
            ByteBuffer bitmap = ByteBuffer.allocateDirect(map.onDiskSize());
            ByteBuffer aligned = ByteBuffer.allocateDirect(8192).alignedSlice(4096).limit(4096);
            FileChannel buffered = FileChannel.open(file, StandardOpenOption.WRITE);
            FileChannel direct = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.DSYNC,
                    com.sun.nio.file.ExtendedOpenOption.DIRECT);
            AtomicLong continued = new AtomicLong();
            for (int i = 0; i < n; i++) {
                idle();
                long t0 = System.nanoTime();
                local.flush();
                flush[i] = System.nanoTime() - t0;
                idle();
                bitmap.clear();
                t0 = System.nanoTime();
                local.writeDurably(bitmap, MetadataCodec.METADATA_SIZE);
                write[i] = System.nanoTime() - t0;
                idle();
                bitmap.clear();
                t0 = System.nanoTime();
                buffered.write(bitmap, MetadataCodec.METADATA_SIZE);
                buffered.force(false);
                writeThenSync[i] = System.nanoTime() - t0;
                idle();
                aligned.clear();
                t0 = System.nanoTime();
                direct.write(aligned, MetadataCodec.METADATA_SIZE);
                directSync[i] = System.nanoTime() - t0;
                idle();
                long offset = (long) (i % map.extentCount()) * extent;
                CountDownLatch done = new CountDownLatch(1);
                t0 = System.nanoTime();
                dirty.writeStart(offset, 4096, () -> {
                    continued.set(System.nanoTime());
                    done.countDown();
                });
                done.await();
                mark[i] = continued.get() - t0;
                handOff[i] = entered.get() - t0;
                markWrite[i] = returned.get() - entered.get();
                release[i] = continued.get() - returned.get();
                dirty.writeComplete(offset, 4096);
            }
            buffered.close();
            direct.close();
        }
        print("flush (fdatasync, nothing dirty)", flush);
        print("bitmap write (O_DSYNC pwrite)", write);
        print("pwrite + fdatasync", writeThenSync);
        print("4 KiB O_DIRECT|O_DSYNC pwrite", directSync);
        print("mark (writeStart to continuation)", mark);
        print("  hand-off to the flusher", handOff);
        print("  its bitmap write", markWrite);
        print("  release to the continuation", release);
    }

    /** The component's calls, the durable write's entry and return times noted. */
    private static ComponentIo timed(ComponentIo io, AtomicLong entered, AtomicLong returned) {
        return new ComponentIo() {
            @Override
            public int read(ByteBuffer target, long position) throws java.io.IOException {
                return io.read(target, position);
            }

            @Override
            public int write(ByteBuffer source, long position) throws java.io.IOException {
                return io.write(source, position);
            }

            @Override
            public int writeDurable(ByteBuffer source, long position) throws java.io.IOException {
                entered.set(System.nanoTime());
                int n = io.writeDurable(source, position);
                returned.set(System.nanoTime());
                return n;
            }

            @Override
            public void flush() throws java.io.IOException {
                io.flush();
            }

            @Override
            public boolean writeBack(long position, long length) throws java.io.IOException {
                return io.writeBack(position, length);
            }

            @Override
            public void close() throws java.io.IOException {
                io.close();
            }
        };
    }

    /** Long enough for the flusher to park, as between requests at queue depth 1. */
    private static void idle() {
        LockSupport.parkNanos(200_000);
    }

    private static void print(String what, long[] t) {
        long[] s = t.clone();
        Arrays.sort(s);
        System.out.printf("%-36s median %7.1f us  p10 %7.1f  p90 %7.1f%n", what, s[s.length / 2] / 1000.0,
                s[s.length / 10] / 1000.0, s[s.length * 9 / 10] / 1000.0);
    }
}
