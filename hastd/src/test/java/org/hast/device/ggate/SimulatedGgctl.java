package org.hast.device.ggate;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

import org.hast.platform.AbiTable;

import jnr.ffi.Pointer;

/**
 * An in-process model of the kernel side of {@code /dev/ggctl} ({@code sys/geom/gate/g_gate.c}),
 * behind the same {@link GgateControl} the bridge uses on FreeBSD. It reads and writes the
 * control structures at the offsets of the compiler-made table ({@code abi-amd64.tsv}), not at
 * {@link GgateAbi}'s, so a wrong offset in the bridge shows up as wrong behaviour here.
 *
 * <p>What it models, as g_gate.c does it: BIOs queue per unit and get sequence numbers from 1;
 * START blocks until there is one, moves it to the in-flight list and copies write data out to
 * {@code gctl_data}, but answers a write longer than {@code gctl_length} with ENOMEM in
 * {@code gctl_error} and the length needed (the BIO stays queued); START leaves
 * {@code gctl_error} alone otherwise; DONE finds the BIO by seq (an unknown seq is ignored),
 * EAGAIN requeues it, anything else completes it, a read's data copied in from
 * {@code gctl_data}; CANCEL (by unit or by name) requeues in-flight BIOs at the head in order and
 * reports the unit; DESTROY makes waiting and later STARTs return ECANCELED and fails everything
 * queued or in flight with ENXIO; CREATE refuses a taken name with EEXIST (only
 * {@code G_GATE_NAME_GIVEN} creation is modelled, the one hastd uses; other units get EINVAL). A killed process is
 * {@link #kill}: its STARTs return EINTR and its descriptor is gone (EBADF).
 */
final class SimulatedGgctl implements GgateControl {
    static final int EBADF = 9;
    static final int EINTR = 4;
    static final int ENOENT = 2;
    static final int EINVAL = 22;

    private final jnr.ffi.Runtime runtime = jnr.ffi.Runtime.getSystemRuntime();
    private final AbiTable abi = AbiTable.load("amd64");
    private final long cmdCreate = abi.freebsd("G_GATE_CMD_CREATE");
    private final long cmdDestroy = abi.freebsd("G_GATE_CMD_DESTROY");
    private final long cmdCancel = abi.freebsd("G_GATE_CMD_CANCEL");
    private final long cmdStart = abi.freebsd("G_GATE_CMD_START");
    private final long cmdDone = abi.freebsd("G_GATE_CMD_DONE");
    private final int version = (int) abi.freebsd("G_GATE_VERSION");
    private final int nameGiven = (int) abi.freebsd("G_GATE_NAME_GIVEN");
    private final int ecanceled = (int) abi.freebsd("ECANCELED");
    private final int enomem = (int) abi.freebsd("ENOMEM");
    private final int eexist = (int) abi.freebsd("EEXIST");
    private final int enxio = (int) abi.freebsd("ENXIO");
    private final int eagain = (int) abi.freebsd("EAGAIN");
    private final int bioRead = (int) abi.freebsd("BIO_READ");
    private final int bioWrite = (int) abi.freebsd("BIO_WRITE");

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Map<Integer, Unit> units = new HashMap<>();
    private final Set<Integer> openFds = new HashSet<>();
    private final Set<Integer> killedFds = new HashSet<>();
    private int nextFd = 100;
    private int enomemAnswers;
    private int cancelledStarts;
    private int waitingStarts;
    private final List<Long> startedSeqs = new ArrayList<>();

    /** A BIO as GEOM would send it to the unit. */
    static final class Bio {
        final int cmd;
        final long offset;
        final long length;
        final byte[] data;
        long seq;
        final CompletableFuture<Integer> error = new CompletableFuture<>();

        Bio(int cmd, long offset, long length, byte[] data) {
            this.cmd = cmd;
            this.offset = offset;
            this.length = length;
            this.data = data;
        }
    }

    private static final class Unit {
        final int number;
        final String name;
        final long mediaSize;
        final int sectorSize;
        long nextSeq = 1;
        final Deque<Bio> queued = new ArrayDeque<>();
        final List<Bio> inFlight = new ArrayList<>();
        boolean destroying;

        Unit(int number, String name, long mediaSize, int sectorSize) {
            this.number = number;
            this.name = name;
            this.mediaSize = mediaSize;
            this.sectorSize = sectorSize;
        }
    }

    private int off(String struct, String field) {
        return (int) abi.freebsd("offsetof:struct " + struct + "." + field);
    }

    // ---- the consumer side: what file systems send through GEOM ----

    /** Queues a BIO on the unit named {@code name}; the future gets the BIO's (FreeBSD) error. */
    Bio submit(String name, int cmd, long offset, long length, byte[] data) {
        Bio bio = new Bio(cmd, offset, length, cmd == bioRead ? new byte[(int) length] : data);
        lock.lock();
        try {
            Unit unit = byName(name);
            if (unit == null || unit.destroying) {
                bio.error.complete(enxio); // g_io_request on a vanished provider
                return bio;
            }
            if (offset < 0 || offset + length > unit.mediaSize || offset % unit.sectorSize != 0
                    || length % unit.sectorSize != 0) {
                throw new IllegalArgumentException("GEOM would refuse this BIO: " + offset + "+" + length);
            }
            bio.seq = unit.nextSeq++;
            unit.queued.addLast(bio);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        return bio;
    }

    /** Kills the process that holds {@code fd}: its waiting STARTs end, its descriptor is gone. */
    void kill(int fd) {
        lock.lock();
        try {
            openFds.remove(fd);
            killedFds.add(fd);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    int inFlight(String name) {
        return withLock(() -> {
            Unit unit = byName(name);
            return unit == null ? 0 : unit.inFlight.size();
        });
    }

    int queued(String name) {
        return withLock(() -> {
            Unit unit = byName(name);
            return unit == null ? 0 : unit.queued.size();
        });
    }

    boolean exists(String name) {
        return withLock(() -> byName(name) != null);
    }

    int enomemAnswers() {
        return withLock(() -> enomemAnswers);
    }

    /** STARTs blocked because nothing is queued. */
    int waitingStarts() {
        return withLock(() -> waitingStarts);
    }

    int cancelledStarts() {
        return withLock(() -> cancelledStarts);
    }

    List<Long> startedSeqs() {
        return withLock(() -> List.copyOf(startedSeqs));
    }

    int openDescriptors() {
        return withLock(openFds::size);
    }

    /** Waits (up to 20 s) until {@code condition} holds; false if it never did. */
    boolean await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        lock.lock();
        try {
            while (!condition.getAsBoolean()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                changed.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    private <T> T withLock(java.util.function.Supplier<T> body) {
        lock.lock();
        try {
            return body.get();
        } finally {
            lock.unlock();
        }
    }

    private Unit byName(String name) {
        for (Unit unit : units.values()) {
            if (unit.name.equals(name)) {
                return unit;
            }
        }
        return null;
    }

    // ---- the kernel side ----

    @Override
    public int open(String path) {
        lock.lock();
        try {
            int fd = nextFd++;
            openFds.add(fd);
            return fd;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close(int fd) {
        lock.lock();
        try {
            openFds.remove(fd);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String describe(int errno) {
        return "FreeBSD errno " + errno;
    }

    @Override
    public jnr.ffi.Runtime runtime() {
        return runtime;
    }

    @Override
    public int ioctl(int fd, long request, Pointer arg) {
        lock.lock();
        try {
            if (!openFds.contains(fd)) {
                return EBADF;
            }
            // Every structure starts with gctl_version (G_GATE_CHECK_VERSION).
            if (arg.getInt(0) != version) {
                return EINVAL;
            }
            if (request == cmdCreate) {
                return create(arg);
            } else if (request == cmdDestroy) {
                return destroy(arg);
            } else if (request == cmdCancel) {
                return cancel(arg);
            } else if (request == cmdStart) {
                return start(fd, arg);
            } else if (request == cmdDone) {
                return done(arg);
            }
            return 25; // ENOTTY
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return EINTR;
        } finally {
            lock.unlock();
        }
    }

    private int create(Pointer c) {
        long mediaSize = c.getLong(off("g_gate_ctl_create", "gctl_mediasize"));
        int sectorSize = c.getInt(off("g_gate_ctl_create", "gctl_sectorsize"));
        String name = c.getString(off("g_gate_ctl_create", "gctl_name"), 255, java.nio.charset.StandardCharsets.UTF_8);
        int unitField = off("g_gate_ctl_create", "gctl_unit");
        if (mediaSize <= 0 || sectorSize <= 0 || Integer.bitCount(sectorSize) != 1 || mediaSize % sectorSize != 0
                || c.getInt(unitField) != nameGiven) {
            return EINVAL;
        }
        if (byName(name) != null) {
            return eexist;
        }
        int number = 0;
        while (units.containsKey(number)) {
            number++;
        }
        units.put(number, new Unit(number, name, mediaSize, sectorSize));
        c.putInt(unitField, number);
        return 0;
    }

    /** g_gate_hold(unit, name): by name when the unit is G_GATE_NAME_GIVEN. */
    private Unit hold(int unit, Pointer arg, int nameOffset) {
        if (unit == nameGiven) {
            return byName(arg.getString(nameOffset, 255, java.nio.charset.StandardCharsets.UTF_8));
        }
        return units.get(unit);
    }

    private int destroy(Pointer d) {
        Unit unit = hold(d.getInt(off("g_gate_ctl_destroy", "gctl_unit")), d, off("g_gate_ctl_destroy", "gctl_name"));
        if (unit == null) {
            return enxio;
        }
        unit.destroying = true;
        for (Bio bio : unit.queued) {
            bio.error.complete(enxio);
        }
        for (Bio bio : unit.inFlight) {
            bio.error.complete(enxio);
        }
        unit.queued.clear();
        unit.inFlight.clear();
        units.remove(unit.number);
        changed.signalAll();
        return 0;
    }

    private int cancel(Pointer k) {
        int unitField = off("g_gate_ctl_cancel", "gctl_unit");
        int requested = k.getInt(unitField);
        Unit unit = hold(requested, k, off("g_gate_ctl_cancel", "gctl_name"));
        if (unit == null) {
            return enxio;
        }
        long seq = k.getLong(off("g_gate_ctl_cancel", "gctl_seq"));
        List<Bio> requeue = new ArrayList<>();
        for (Bio bio : List.copyOf(unit.inFlight)) {
            if (seq == 0 || seq == bio.seq) {
                unit.inFlight.remove(bio);
                requeue.add(bio);
                if (seq != 0) {
                    break;
                }
            }
        }
        for (int i = requeue.size() - 1; i >= 0; i--) {
            unit.queued.addFirst(requeue.get(i)); // at the head, in their order
        }
        if (requested == nameGiven) {
            k.putInt(unitField, unit.number);
        }
        changed.signalAll();
        return 0;
    }

    private int start(int fd, Pointer io) throws InterruptedException {
        Unit unit = units.get(io.getInt(off("g_gate_ctl_io", "gctl_unit")));
        if (unit == null) {
            return enxio;
        }
        Bio bio;
        while ((bio = unit.queued.peekFirst()) == null) {
            if (unit.destroying) {
                io.putInt(off("g_gate_ctl_io", "gctl_error"), ecanceled);
                cancelledStarts++;
                return 0;
            }
            if (killedFds.contains(fd)) {
                return EINTR;
            }
            waitingStarts++;
            changed.signalAll();
            try {
                changed.await();
            } finally {
                waitingStarts--;
            }
        }
        io.putInt(off("g_gate_ctl_io", "gctl_cmd"), bio.cmd);
        int lengthField = off("g_gate_ctl_io", "gctl_length");
        if (bio.cmd == bioWrite && bio.length > io.getLong(lengthField)) {
            io.putLong(lengthField, bio.length);
            io.putInt(off("g_gate_ctl_io", "gctl_error"), enomem);
            enomemAnswers++;
            return 0;
        }
        unit.queued.removeFirst();
        unit.inFlight.add(bio);
        startedSeqs.add(bio.seq);
        io.putLong(off("g_gate_ctl_io", "gctl_seq"), bio.seq);
        io.putLong(off("g_gate_ctl_io", "gctl_offset"), bio.offset);
        io.putLong(lengthField, bio.length);
        if (bio.cmd == bioWrite) {
            userMemory(io).put(0, bio.data, 0, (int) bio.length); // copyout
        }
        changed.signalAll();
        return 0;
    }

    private Pointer userMemory(Pointer io) {
        return runtime.getMemoryManager().newPointer(io.getAddress(off("g_gate_ctl_io", "gctl_data")));
    }

    private int done(Pointer io) {
        Unit unit = units.get(io.getInt(off("g_gate_ctl_io", "gctl_unit")));
        if (unit == null) {
            return ENOENT;
        }
        long seq = io.getLong(off("g_gate_ctl_io", "gctl_seq"));
        Bio bio = null;
        for (Bio candidate : unit.inFlight) {
            if (candidate.seq == seq) {
                bio = candidate;
                break;
            }
        }
        if (bio == null) {
            return 0; // probably cancelled
        }
        unit.inFlight.remove(bio);
        int error = io.getInt(off("g_gate_ctl_io", "gctl_error"));
        if (error == eagain) {
            unit.queued.addFirst(bio);
        } else {
            if (error == 0 && bio.cmd == bioRead) {
                userMemory(io).get(0, bio.data, 0, (int) bio.length); // copyin
            }
            bio.error.complete(error);
        }
        changed.signalAll();
        return 0;
    }
}
