package org.hast.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.hast.daemon.supervision.WorkerMemory;
import org.hast.testing.Processes;
import org.junit.jupiter.api.Test;

/**
 * The replication channels' socket reads reuse pooled buffers in a JVM sized as a worker is
 * (issue #15): Netty's default allocator pools nothing above 16 KiB below 512 MiB of heap, and
 * each 64 KiB read was then a fresh, zeroed direct buffer with a cleaner, some 300 bytes of
 * heap objects besides. The probe runs in its own JVM because the test JVM's heap is larger.
 */
class SocketReadBuffersTest {
    private static final int READS = 20_000;

    @Test
    void readBuffersOfAWorkerSizedJvmAllocateNoObjectsPerRead() throws Exception {
        List<String> command = List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + (WorkerMemory.HEAP_BYTES >> 20) + "m",
                "-XX:MaxDirectMemorySize=" + (WorkerMemory.DIRECT_BYTES >> 20) + "m",
                "-Dio.netty.leakDetection.level=disabled",
                "-cp", System.getProperty("java.class.path"), ReadBufferProbeMain.class.getName(),
                Integer.toString(READS));
        Processes.Result result = Processes.run(command, Map.of(), Duration.ofSeconds(60));
        assertEquals(0, result.exitCode(), result.toString());
        String line = result.stdout().lines().filter(l -> l.startsWith("bytesPerRead=")).findFirst()
                .orElseThrow(() -> new AssertionError("no figure from the probe: " + result));
        long bytesPerRead = Long.parseLong(line.substring("bytesPerRead=".length()));
        // a pooled buffer's wrapper comes from a recycler; a fresh one is a dozen objects
        assertTrue(bytesPerRead < 32, "each 64 KiB socket read allocated " + bytesPerRead + " bytes of objects");
    }
}
