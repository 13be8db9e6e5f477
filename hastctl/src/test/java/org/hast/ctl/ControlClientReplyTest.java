package org.hast.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;

import org.hast.util.SysExits;
import org.junit.jupiter.api.Test;

/** {@link ControlClient#readReply} against what a broken or hostile peer may send. */
class ControlClientReplyTest {
    /** Announces a 16 MiB nv (the cap), sends 100 bytes of it and closes. */
    private static final class Announcing implements ReadableByteChannel {
        private final ByteBuffer bytes = ByteBuffer.allocate(105).order(ByteOrder.LITTLE_ENDIAN)
                .put((byte) 2).putInt((16 << 20) - 1).position(0);
        int largestRead;

        @Override
        public int read(ByteBuffer dst) {
            largestRead = Math.max(largestRead, dst.remaining());
            if (!bytes.hasRemaining()) {
                return -1;
            }
            int n = Math.min(dst.remaining(), bytes.remaining());
            dst.put(bytes.slice(bytes.position(), n));
            bytes.position(bytes.position() + n);
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void memoryFollowsTheBytesThatArriveNotTheAnnouncedSize() {
        Announcing peer = new Announcing();
        CtlException e = assertThrows(CtlException.class, () -> ControlClient.readReply(peer));
        assertEquals(SysExits.EX_UNAVAILABLE, e.exitCode());
        assertTrue(e.getMessage().startsWith("Unable to receive reply from hastd: "), e.getMessage());
        assertTrue(peer.largestRead <= 64 * 1024, "read into a buffer of " + peer.largestRead + " bytes");
    }
}
