package org.hast.nv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Measures what {@link NvMessage#decode} allocates (HotSpot's per-thread allocation counter):
 * never more than the blob's own size, whatever sizes the blob claims.
 */
class NvDecodeAllocationTest {
    /** Room for the message, the view buffers and a thrown exception with its stack trace. */
    private static final long CONSTANT_BYTES = 32 * 1024;

    private static com.sun.management.ThreadMXBean threads;

    @BeforeAll
    static void counter() {
        Object bean = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(bean instanceof com.sun.management.ThreadMXBean,
                "no per-thread allocation counter on this JVM");
        threads = (com.sun.management.ThreadMXBean) bean;
        Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported());
        threads.setThreadAllocatedMemoryEnabled(true);
    }

    @Test
    void manySmallEntriesCostLessThanTheBlob() throws Exception {
        NvWriter nv = new NvWriter();
        for (int i = 0; nv.encodedSize() < (1 << 20) - 22; i++) {
            nv.addUint8("a", i & 0xff); // the smallest entry there is: 22 bytes
        }
        ByteBuffer blob = nv.encode();
        long bytes = allocatedBy(() -> assertEquals(nv.count(), NvMessage.decode(blob).size()));
        assertTrue(bytes <= blob.remaining(), bytes + " bytes allocated for a "
                + blob.remaining() + "-byte blob of " + nv.count() + " entries");
    }

    @Test
    void oneLargeArrayIsNotCopied() throws Exception {
        ByteBuffer blob = new NvWriter().addUint8Array("map", new byte[1 << 20]).encode();
        long bytes = allocatedBy(() -> NvMessage.decode(blob).getUint8Array("map"));
        assertTrue(bytes < CONSTANT_BYTES, bytes + " bytes allocated");
    }

    @Test
    void aClaimedHugeEntryAllocatesNothingForIt() throws Exception {
        ByteBuffer blob = ByteBuffer.wrap(org.hast.testing.Hex.bytes(
                "0a 02 ff ff ff ff", "61 00 00 00 00 00 00 00", "00 00 00 00 00 00 00 00"));
        long bytes = allocatedBy(() -> assertThrows(NvFormatException.class,
                () -> NvMessage.decode(blob)));
        assertTrue(bytes < CONSTANT_BYTES, bytes + " bytes allocated");
    }

    @Test
    void lookingUpFieldsByNameAllocatesNothing() throws Exception {
        NvMessage request = NvMessage.decode(new NvWriter().addUint8("cmd", 2).addUint64("seq", 7)
                .addUint64("offset", 4096).addUint64("length", 4096).encode());
        int lookups = 1000;
        long bytes = allocatedBy(() -> {
            for (int i = 0; i < lookups / 4; i++) {
                request.getUint8("cmd");
                request.getUint64("seq");
                request.getUint64("offset");
                request.has("memsync");
            }
        });
        assertTrue(bytes < lookups, bytes + " bytes allocated by " + lookups + " lookups");
    }

    @Test
    void addingFieldsAllocatesOnlyTheWriter() throws Exception {
        int fields = 1000;
        NvWriter reply = new NvWriter();
        for (int i = 0; i < fields; i++) {
            reply.addUint64("seq", i); // grows the blob once to its full size
        }
        long bytes = allocatedBy(() -> {
            NvWriter again = new NvWriter(reply.encodedSize());
            for (int i = 0; i < fields; i++) {
                again.addUint64("seq", i);
            }
        });
        assertTrue(bytes < reply.encodedSize() + CONSTANT_BYTES / 8, bytes + " bytes allocated to add " + fields
                + " fields to a " + reply.encodedSize() + "-byte blob");
    }

    private interface Body {
        void run() throws Exception;
    }

    /** Bytes allocated by the current thread while running {@code body}, after a warm-up. */
    private static long allocatedBy(Body body) throws Exception {
        for (int i = 0; i < 5; i++) {
            body.run();
        }
        long id = Thread.currentThread().getId();
        long least = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            long before = threads.getThreadAllocatedBytes(id);
            body.run();
            least = Math.min(least, threads.getThreadAllocatedBytes(id) - before);
        }
        return least;
    }
}
