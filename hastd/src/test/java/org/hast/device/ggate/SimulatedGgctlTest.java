package org.hast.device.ggate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * The kernel model itself, driven through raw ioctls as a user-space client would: the parts of
 * g_gate.c the bridge tests do not reach (CANCEL of one request by unit number, DONE with
 * EAGAIN, DONE of an unknown seq).
 */
class SimulatedGgctlTest {
    private final SimulatedGgctl kernel = new SimulatedGgctl();
    private final jnr.ffi.Runtime runtime = kernel.runtime();

    private Pointer io(int unit, Pointer data) {
        Pointer io = Memory.allocateDirect(runtime, GgateAbi.Io.SIZE, true);
        io.putInt(GgateAbi.Io.VERSION, GgateAbi.VERSION);
        io.putInt(GgateAbi.Io.UNIT, unit);
        io.putLong(GgateAbi.Io.LENGTH, 4096);
        io.putAddress(GgateAbi.Io.DATA, data.address());
        return io;
    }

    @Test
    void cancelByUnitNumberRequeuesOneRequestAndDoneWithEagainRequeuesIt() {
        int fd = kernel.open("/dev/ggctl");
        Pointer create = Memory.allocateDirect(runtime, GgateAbi.Create.SIZE, true);
        create.putInt(GgateAbi.Create.VERSION, GgateAbi.VERSION);
        create.putLong(GgateAbi.Create.MEDIASIZE, 1 << 20);
        create.putInt(GgateAbi.Create.SECTORSIZE, 512);
        byte[] name = "hast/m".getBytes(StandardCharsets.US_ASCII);
        create.put(GgateAbi.Create.NAME, name, 0, name.length);
        create.putInt(GgateAbi.Create.UNIT, GgateAbi.NAME_GIVEN);
        assertEquals(0, kernel.ioctl(fd, GgateAbi.CMD_CREATE, create));
        int unit = create.getInt(GgateAbi.Create.UNIT);
        create.putInt(GgateAbi.Create.UNIT, GgateAbi.NAME_GIVEN);
        assertEquals(GgateAbi.EEXIST, kernel.ioctl(fd, GgateAbi.CMD_CREATE, create));

        SimulatedGgctl.Bio first = kernel.submit("hast/m", GgateAbi.BIO_READ, 0, 512, null);
        SimulatedGgctl.Bio second = kernel.submit("hast/m", GgateAbi.BIO_READ, 512, 512, null);
        Pointer data = Memory.allocateDirect(runtime, 4096, true);
        Pointer a = io(unit, data);
        Pointer b = io(unit, data);
        assertEquals(0, kernel.ioctl(fd, GgateAbi.CMD_START, a));
        assertEquals(0, kernel.ioctl(fd, GgateAbi.CMD_START, b));
        assertEquals(1, a.getLong(GgateAbi.Io.SEQ));
        assertEquals(2, b.getLong(GgateAbi.Io.SEQ));

        Pointer cancel = Memory.allocateDirect(runtime, GgateAbi.Cancel.SIZE, true);
        cancel.putInt(GgateAbi.Cancel.VERSION, GgateAbi.VERSION);
        cancel.putInt(GgateAbi.Cancel.UNIT, unit);
        cancel.putLong(GgateAbi.Cancel.SEQ, 2);
        assertEquals(0, kernel.ioctl(fd, GgateAbi.CMD_CANCEL, cancel));
        assertEquals(1, kernel.inFlight("hast/m"));
        assertEquals(1, kernel.queued("hast/m"));

        Pointer again = io(unit, data);
        assertEquals(0, kernel.ioctl(fd, GgateAbi.CMD_START, again));
        assertEquals(2, again.getLong(GgateAbi.Io.SEQ), "the cancelled request comes back with its seq");

        a.putInt(GgateAbi.Io.ERROR, GgateAbi.EAGAIN);
        assertEquals(0, kernel.ioctl(fd, GgateAbi.CMD_DONE, a));
        assertFalse(first.error.isDone(), "EAGAIN puts the request back");
        Pointer retry = io(unit, data);
        assertEquals(0, kernel.ioctl(fd, GgateAbi.CMD_START, retry));
        assertEquals(1, retry.getLong(GgateAbi.Io.SEQ));

        Pointer stranger = io(unit, data);
        stranger.putLong(GgateAbi.Io.SEQ, 99);
        assertEquals(0, kernel.ioctl(fd, GgateAbi.CMD_DONE, stranger), "an unknown seq is ignored");

        data.putByte(0, (byte) 7);
        assertEquals(0, kernel.ioctl(fd, GgateAbi.CMD_DONE, retry));
        assertEquals(0, kernel.ioctl(fd, GgateAbi.CMD_DONE, again));
        assertEquals(0, first.error.join());
        assertEquals(7, first.data[0], "a read's data is copied in from gctl_data");
        assertEquals(0, second.error.join());
        assertEquals(SimulatedGgctl.ENOENT, kernel.ioctl(fd, GgateAbi.CMD_DONE, io(unit + 1, data)));
        kernel.close(fd);
    }
}
