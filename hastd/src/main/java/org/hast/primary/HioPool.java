package org.hast.primary;

import java.util.function.Consumer;

import org.hast.block.BlockBackend;
import org.hast.proto.HioCommand;

import io.netty.buffer.ByteBuf;

/**
 * The client requests' Hios, made once (the reference preallocates its {@code hio}s too), so a
 * request allocates no Hio and no completion lambda. When all are taken (requests waiting for a
 * slot) a fresh unpooled Hio is made instead; the pool never grows. Giving one back twice
 * throws rather than let two requests share it: that would mix their data and completions.
 * Short critical sections, any thread.
 */
final class HioPool {
    private final Hio[] idle;
    private int idleCount;
    private final Consumer<Hio> afterMark;

    /** @param afterMark what runs once a Hio's extents are marked durably (see {@link Hio#afterMark}) */
    HioPool(int size, Consumer<Hio> afterMark) {
        this.afterMark = afterMark;
        idle = new Hio[size];
        for (int i = 0; i < size; i++) {
            idle[i] = make();
        }
        idleCount = size;
    }

    /** A Hio for a new request: an idle pooled one with every field reset, else a new one. */
    Hio acquire(HioCommand cmd, long offset, int length, ByteBuf data, BlockBackend.Completion piece) {
        Hio hio = takeIdle();
        if (hio == null) {
            return new Hio(cmd, offset, length, data, piece);
        }
        hio.reuse(cmd, offset, length, data, piece);
        return hio;
    }

    /**
     * Gives a finished request's Hio back; an unpooled one is left to the garbage collector.
     * The caller must hold no reference to it afterwards, and nobody else may still reach it.
     */
    void release(Hio hio) {
        if (hio.pool != this) {
            return;
        }
        if (!hio.retire()) {
            throw new IllegalStateException("request object given back twice: " + hio);
        }
        synchronized (this) {
            idle[idleCount++] = hio;
        }
    }

    private Hio make() {
        Hio hio = new Hio(this);
        hio.afterMark = () -> afterMark.accept(hio);
        return hio;
    }

    synchronized int idle() {
        return idleCount;
    }

    private synchronized Hio takeIdle() {
        if (idleCount == 0) {
            return null;
        }
        Hio hio = idle[--idleCount];
        idle[idleCount] = null;
        return hio;
    }
}
