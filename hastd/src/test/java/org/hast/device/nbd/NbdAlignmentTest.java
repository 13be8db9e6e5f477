package org.hast.device.nbd;

import static org.hast.device.nbd.NbdProtocol.*;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backend with 512-byte sectors (HAST replicates whole sectors only): requests below that
 * unit are refused with EINVAL before reaching the backend, a refused WRITE's payload is still
 * consumed, and the connection goes on serving aligned requests.
 */
@Timeout(60)
@ExtendWith(NbdLeaks.class)
class NbdAlignmentTest {
    @TempDir
    Path dir;

    @Test
    void unalignedRequestsAreRefusedAndTheStreamStaysInStep() throws Exception {
        try (NbdFixture fx = new NbdFixture(dir, 1 << 20, true, 512); NbdTestClient c = fx.transmitting()) {
            long before = fx.fileBackend.calls.get();
            assertEquals(EINVAL, c.write(513, new byte[1000], 0));
            assertEquals(EINVAL, c.write(512, new byte[1000], 0));
            assertEquals(EINVAL, c.command(0, CMD_READ, 100, 512));
            assertEquals(EINVAL, c.command(0, CMD_TRIM, 512, 100));
            assertEquals(EINVAL, c.command(0, CMD_WRITE_ZEROES, 1, 4096));
            assertEquals(before, fx.fileBackend.calls.get(), "nothing unaligned reached the backend");
            byte[] data = new byte[1024];
            java.util.Arrays.fill(data, (byte) 7);
            assertEquals(0, c.write(1024, data, 0));
            assertArrayEquals(data, c.read(1024, 1024));
            assertEquals(0, c.command(0, CMD_FLUSH, 0, 0));
        }
    }
}
