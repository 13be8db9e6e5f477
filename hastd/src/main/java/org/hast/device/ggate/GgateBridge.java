package org.hast.device.ggate;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

import org.hast.daemon.process.FatalThreads;
import org.hast.block.BlockBackend;
import org.hast.block.DeviceBridge;
import org.hast.platform.host.HostPlatform;
import org.hast.proto.WireErrno;
import org.hast.util.SysExits;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * FreeBSD's GEOM Gate as the device bridge (spec §11.1, issue #19): the backend is served in
 * this process through {@code /dev/ggctl}, and GEOM names the provider {@code hast/<name>}, so
 * it appears as {@code /dev/hast/<name>} as the reference's does.
 *
 * <pre>
 *   attach: open /dev/ggctl; G_GATE_CMD_CREATE(mediasize, sectorsize, name "hast/&lt;name&gt;",
 *           unit G_GATE_NAME_GIVEN, no kernel timeout, default queue)
 *           EEXIST: a dead worker left the unit: G_GATE_CMD_CANCEL by name requeues what it had
 *           taken, and this worker serves the unit from now on ("Device ... recovered.")
 *   serve:  N threads, each with its own slot: START (blocks until the kernel has a BIO) →
 *           READ/WRITE/DELETE/FLUSH on the backend, in place in the slot's buffer → DONE
 *           START's gctl_error: ENOMEM = a write longer than the buffer: grow it, START again;
 *           ECANCELED = the unit is being destroyed: the thread ends
 *   detach: G_GATE_CMD_DESTROY(force): the kernel fails what is queued, STARTs return
 *           ECANCELED; close /dev/ggctl
 * </pre>
 *
 * <p>BIOs map onto the backend as the NBD bridges map their commands: READ, WRITE (no FUA: GEOM
 * has none, file systems flush), DELETE as TRIM, FLUSH; anything else is EOPNOTSUPP. The
 * backend's errno (internal, Linux-numbered) goes to the kernel in FreeBSD's numbering.
 *
 * <p>The requests in flight are bounded by the number of threads; the kernel queues the rest.
 * Each slot starts with FreeBSD 12's {@code MAXPHYS} (128 KiB), which covers almost every
 * request, and grows when the kernel (13 and later: 1 MiB) asks for more.
 *
 * <p>Nothing here has run on FreeBSD yet: the bridge is tested against an in-process model of
 * the kernel side ({@code SimulatedGgctl}) behind {@link GgateControl}.
 */
public final class GgateBridge implements DeviceBridge {
    private static final Logger LOG = LoggerFactory.getLogger(GgateBridge.class);

    public static final int DEFAULT_THREADS = 16;
    /** FreeBSD 12's MAXPHYS; a slot grows on ENOMEM up to what the kernel needs. */
    public static final int DEFAULT_BUFFER_BYTES = 128 * 1024;
    private static final long THREAD_EXIT_WAIT_MILLIS = 5_000;
    private static final int EINVAL = 22;
    private static final int ENOTSUP = 95;

    /** What the bridge does when the kernel interface fails under it (spec §11.1: EX_OSERR). */
    @FunctionalInterface
    public interface FatalHandler {
        void fail(int exitCode, String message);
    }

    private final GgateControl control;
    private final String controlPath;
    private final int threadCount;
    private final int bufferBytes;
    private final FatalHandler fatal;

    private volatile Attachment attachment;

    /** One attachment: the control descriptor, the unit and the threads serving it. */
    private static final class Attachment {
        final int fd;
        final int unit;
        final String gateName;
        final BlockBackend backend;
        final List<Thread> threads = new ArrayList<>();
        volatile boolean leaving;

        Attachment(int fd, int unit, String gateName, BlockBackend backend) {
            this.fd = fd;
            this.unit = unit;
            this.gateName = gateName;
            this.backend = backend;
        }
    }

    /** The bridge of this FreeBSD system: libc, {@code /dev/ggctl}, exit EX_OSERR on failure. */
    public GgateBridge() {
        this(new LibcGgateControl(HostPlatform.current()), GgateAbi.CONTROL_DEVICE, DEFAULT_THREADS,
                DEFAULT_BUFFER_BYTES, GgateBridge::exit);
    }

    public GgateBridge(GgateControl control, String controlPath, int threadCount, int bufferBytes,
            FatalHandler fatal) {
        if (threadCount < 1 || bufferBytes < 512) {
            throw new IllegalArgumentException("threads " + threadCount + ", buffer " + bufferBytes);
        }
        this.control = control;
        this.controlPath = controlPath;
        this.threadCount = threadCount;
        this.bufferBytes = bufferBytes;
        this.fatal = fatal;
    }

    private static void exit(int code, String message) {
        LOG.error("{}", message);
        Runtime.getRuntime().halt(code);
    }

    @Override
    public boolean servesBackendDirectly() {
        return true;
    }

    @Override
    public void attach(String providerName, Path socket, String exportName, long sizeBytes) {
        throw new UnsupportedOperationException("GEOM Gate serves the backend in-process, not an export socket");
    }

    @Override
    public synchronized void attach(String providerName, BlockBackend backend, String exportName)
            throws IOException {
        if (providerName.isEmpty() || providerName.contains("/") || providerName.equals(".")
                || providerName.equals("..")) {
            throw new IllegalArgumentException("bad provider name: " + providerName);
        }
        String gateName = "hast/" + providerName;
        if (gateName.getBytes(StandardCharsets.UTF_8).length >= GgateAbi.NAME_BYTES) {
            throw new IllegalArgumentException("provider name too long for GEOM Gate: " + providerName);
        }
        if (attachment != null) {
            throw new IllegalStateException("bridge already attached as " + attachment.gateName);
        }
        int fd = control.open(controlPath);
        try {
            Attachment a = new Attachment(fd, createOrRecover(fd, gateName, backend), gateName, backend);
            for (int i = 0; i < threadCount; i++) {
                GgateSlot slot = new GgateSlot(control.runtime(), bufferBytes);
                Thread thread = FatalThreads.newThread("ggate-" + providerName + "-" + i, () -> serve(a, slot));
                a.threads.add(thread);
            }
            attachment = a;
            a.threads.forEach(Thread::start);
        } catch (IOException | RuntimeException e) {
            control.close(fd);
            throw e;
        }
    }

    private int createOrRecover(int fd, String gateName, BlockBackend backend) throws IOException {
        Pointer create = Memory.allocateDirect(control.runtime(), GgateAbi.Create.SIZE, true);
        create.putInt(GgateAbi.Create.VERSION, GgateAbi.VERSION);
        create.putLong(GgateAbi.Create.MEDIASIZE, backend.size());
        create.putInt(GgateAbi.Create.SECTORSIZE, backend.sectorSize());
        create.putInt(GgateAbi.Create.FLAGS, 0);
        create.putInt(GgateAbi.Create.MAXCOUNT, 0); // the kernel's default queue
        create.putInt(GgateAbi.Create.TIMEOUT, 0); // no kernel-side timeout: a dead worker is taken over
        putName(create, GgateAbi.Create.NAME, gateName);
        create.putInt(GgateAbi.Create.UNIT, GgateAbi.NAME_GIVEN);
        int error = control.ioctl(fd, GgateAbi.CMD_CREATE, create);
        if (error == 0) {
            return create.getInt(GgateAbi.Create.UNIT);
        }
        if (error != GgateAbi.EEXIST) {
            throw new IOException("G_GATE_CMD_CREATE failed: " + control.describe(error));
        }
        // A worker died without destroying its unit: take it over, requeueing what it had taken.
        Pointer cancel = Memory.allocateDirect(control.runtime(), GgateAbi.Cancel.SIZE, true);
        cancel.putInt(GgateAbi.Cancel.VERSION, GgateAbi.VERSION);
        cancel.putInt(GgateAbi.Cancel.UNIT, GgateAbi.NAME_GIVEN);
        cancel.putLong(GgateAbi.Cancel.SEQ, 0); // every request
        putName(cancel, GgateAbi.Cancel.NAME, gateName);
        error = control.ioctl(fd, GgateAbi.CMD_CANCEL, cancel);
        if (error != 0) {
            throw new IOException("Unable to take over " + gateName + ": G_GATE_CMD_CANCEL failed: "
                    + control.describe(error));
        }
        LOG.info("Device {} recovered.", gateName);
        return cancel.getInt(GgateAbi.Cancel.UNIT);
    }

    private static void putName(Pointer struct, int offset, String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        struct.put(offset, bytes, 0, bytes.length);
        struct.putByte(offset + bytes.length, (byte) 0);
    }

    /** One thread's loop: START, serve, DONE, until the unit goes away. */
    private void serve(Attachment a, GgateSlot slot) {
        try {
            while (true) {
                slot.prepareStart(a.unit);
                int error = control.ioctl(a.fd, GgateAbi.CMD_START, slot.io);
                if (error != 0) {
                    failUnlessLeaving(a, "G_GATE_CMD_START failed: " + control.describe(error) + ".");
                    return;
                }
                int kernelError = slot.io.getInt(GgateAbi.Io.ERROR);
                if (kernelError == GgateAbi.ECANCELED) {
                    if (!a.leaving) {
                        LOG.warn("Received cancel from the kernel, exiting.");
                    }
                    return;
                }
                if (kernelError == GgateAbi.ENOMEM) {
                    slot.grow(slot.io.getLong(GgateAbi.Io.LENGTH));
                    continue;
                }
                if (kernelError != 0) {
                    failUnlessLeaving(a, "G_GATE_CMD_START failed: " + control.describe(kernelError) + ".");
                    return;
                }
                int errno = execute(a.backend, slot);
                slot.io.putInt(GgateAbi.Io.ERROR, errno == 0 ? 0 : WireErrno.toWire(errno));
                error = control.ioctl(a.fd, GgateAbi.CMD_DONE, slot.io);
                slot.replaceIfRetained();
                if (error != 0) {
                    failUnlessLeaving(a, "G_GATE_CMD_DONE failed: " + control.describe(error) + ".");
                    return;
                }
            }
        } finally {
            slot.release();
        }
    }

    private void failUnlessLeaving(Attachment a, String message) {
        if (!a.leaving) {
            fatal.fail(SysExits.EX_OSERR, message);
        }
    }

    /** Runs the BIO in the slot on the backend; returns its errno (internal numbering). */
    private static int execute(BlockBackend backend, GgateSlot slot) {
        int cmd = slot.io.getInt(GgateAbi.Io.CMD);
        long offset = slot.io.getLong(GgateAbi.Io.OFFSET);
        long length = slot.io.getLong(GgateAbi.Io.LENGTH);
        if (cmd == GgateAbi.BIO_FLUSH) {
            backend.flush(slot);
            return slot.awaitDone();
        }
        if (cmd != GgateAbi.BIO_READ && cmd != GgateAbi.BIO_WRITE && cmd != GgateAbi.BIO_DELETE) {
            return ENOTSUP;
        }
        if (offset < 0 || length < 0 || offset > backend.size() - length) {
            return EINVAL;
        }
        switch (cmd) {
            case GgateAbi.BIO_READ -> {
                slot.ensureReadRoom(length);
                backend.read(offset, (int) length, slot.emptyData(), slot);
            }
            case GgateAbi.BIO_WRITE -> backend.write(offset, slot.writtenData((int) length), false, slot);
            default -> backend.trim(offset, length, slot);
        }
        return slot.awaitDone();
    }

    @Override
    public synchronized void detach() throws IOException {
        Attachment a = attachment;
        if (a == null) {
            return;
        }
        IOException failure = destroy(a);
        for (Thread thread : a.threads) {
            try {
                thread.join(THREAD_EXIT_WAIT_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            if (thread.isAlive()) {
                LOG.warn("{} still waits for the backend; leaving it behind", thread.getName());
            }
        }
        control.close(a.fd);
        attachment = null;
        if (failure != null) {
            throw failure;
        }
    }

    /** DESTROY with force: queued and future requests fail, waiting STARTs return ECANCELED. */
    private IOException destroy(Attachment a) {
        a.leaving = true;
        Pointer destroy = Memory.allocateDirect(control.runtime(), GgateAbi.Destroy.SIZE, true);
        destroy.putInt(GgateAbi.Destroy.VERSION, GgateAbi.VERSION);
        destroy.putInt(GgateAbi.Destroy.UNIT, a.unit);
        destroy.putInt(GgateAbi.Destroy.FORCE, 1);
        int error = control.ioctl(a.fd, GgateAbi.CMD_DESTROY, destroy);
        if (error != 0 && error != GgateAbi.ENXIO) { // ENXIO: already gone
            return new IOException("G_GATE_CMD_DESTROY of " + a.gateName + " failed: " + control.describe(error));
        }
        return null;
    }

    /**
     * For a dying worker: destroying the unit fails every queued request at once, so nobody
     * stays blocked on {@code /dev/hast/<name>}; then {@link #detach()}.
     */
    @Override
    public void abort() throws IOException {
        Attachment a = attachment;
        if (a != null) {
            destroy(a);
        }
        detach();
    }

    @Override
    public Path devicePath() {
        Attachment a = attachment;
        return a == null ? null : Paths.get("/dev", a.gateName);
    }

    /** The unit number the kernel gave (or that was taken over), or -1 when not attached. */
    public int unit() {
        Attachment a = attachment;
        return a == null ? -1 : a.unit;
    }
}
