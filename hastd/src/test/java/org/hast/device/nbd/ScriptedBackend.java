package org.hast.device.nbd;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.hast.block.BlockBackend;

import io.netty.buffer.ByteBuf;

/**
 * Wraps a backend for tests: requests at an offset in {@link #holdOffsets} are held until
 * {@link #releaseHeld()} (to force out-of-order completion), and those at an offset in
 * {@link #failOffsets} complete at once with the mapped errno. With {@link #keepPayloads} a
 * WRITE's payload stays referenced after its completion until {@link #releaseKeptPayloads()},
 * as the primary's memsync keeps it until the secondary has written it.
 */
final class ScriptedBackend implements BlockBackend {
    private final BlockBackend inner;
    final Set<Long> holdOffsets = ConcurrentHashMap.newKeySet();
    final Map<Long, Integer> failOffsets = new ConcurrentHashMap<>();
    private final List<Runnable> held = new ArrayList<>();
    volatile boolean keepPayloads;
    private final List<ByteBuf> kept = new ArrayList<>();
    /** How many FLUSHes reached the backend. */
    final AtomicInteger flushes = new AtomicInteger();
    /** The completions of the writes so far, kept so a test can play a backend answering twice. */
    final List<Completion> writeCompletions = new CopyOnWriteArrayList<>();

    ScriptedBackend(BlockBackend inner) {
        this.inner = inner;
    }

    /** Starts the held requests; returns how many there were. */
    int releaseHeld() {
        List<Runnable> now;
        synchronized (held) {
            now = new ArrayList<>(held);
            held.clear();
        }
        now.forEach(Runnable::run);
        return now.size();
    }

    /** Drops the references {@link #keepPayloads} kept; returns how many there were. */
    int releaseKeptPayloads() {
        List<ByteBuf> now;
        synchronized (kept) {
            now = new ArrayList<>(kept);
            kept.clear();
        }
        now.forEach(ByteBuf::release);
        return now.size();
    }

    int heldCount() {
        synchronized (held) {
            return held.size();
        }
    }

    private boolean intercept(long offset, Completion done, Runnable call) {
        Integer errno = failOffsets.get(offset);
        if (errno != null) {
            done.done(errno);
            return true;
        }
        if (holdOffsets.contains(offset)) {
            synchronized (held) {
                held.add(call);
            }
            return true;
        }
        return false;
    }

    @Override
    public long size() {
        return inner.size();
    }

    @Override
    public int sectorSize() {
        return inner.sectorSize();
    }

    @Override
    public boolean flushCoversAllClients() {
        return inner.flushCoversAllClients();
    }

    @Override
    public void read(long offset, int length, ByteBuf into, Completion done) {
        Runnable call = () -> inner.read(offset, length, into, done);
        if (!intercept(offset, done, call)) {
            call.run();
        }
    }

    @Override
    public void write(long offset, ByteBuf data, boolean fua, Completion done) {
        if (keepPayloads) {
            synchronized (kept) {
                kept.add(data.retainedSlice());
            }
        }
        writeCompletions.add(done);
        Runnable call = () -> inner.write(offset, data, fua, done);
        if (!intercept(offset, done, call)) {
            call.run();
        }
    }

    @Override
    public void flush(Completion done) {
        flushes.incrementAndGet();
        inner.flush(done);
    }

    @Override
    public void trim(long offset, long length, Completion done) {
        Runnable call = () -> inner.trim(offset, length, done);
        if (!intercept(offset, done, call)) {
            call.run();
        }
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayPunch, Completion done) {
        Runnable call = () -> inner.writeZeroes(offset, length, mayPunch, done);
        if (!intercept(offset, done, call)) {
            call.run();
        }
    }
}
