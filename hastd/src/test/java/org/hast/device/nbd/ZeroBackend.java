package org.hast.device.nbd;

import org.hast.block.BlockBackend;

import io.netty.buffer.ByteBuf;

/**
 * A device of zeros with 512-byte sectors that completes every call at once, on the caller's
 * thread: for tests of the protocol layers above the backend, which need a size and answers,
 * not data. A test that wants to see its WRITEs overrides {@link #write}.
 */
class ZeroBackend implements BlockBackend {
    private final long size;

    ZeroBackend(long size) {
        this.size = size;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int sectorSize() {
        return 512;
    }

    @Override
    public boolean flushCoversAllClients() {
        return true;
    }

    @Override
    public void read(long offset, int length, ByteBuf into, Completion done) {
        into.writeZero(length);
        done.done(0);
    }

    @Override
    public void write(long offset, ByteBuf data, boolean fua, Completion done) {
        done.done(0);
    }

    @Override
    public void flush(Completion done) {
        done.done(0);
    }

    @Override
    public void trim(long offset, long length, Completion done) {
        done.done(0);
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayPunch, Completion done) {
        done.done(0);
    }
}
