package org.hast.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The provider through two descriptors: one buffered for data, one {@code O_DSYNC} for the
 * metadata area. A write on the second syncs only its own range (the kernel's
 * {@code generic_write_sync} → {@code vfs_fsync_range(pos, pos + len - 1, datasync)}, then a
 * cache flush), where {@code fdatasync} on the first would write back every dirty data page.
 * Data in direct buffers is read and written with {@link NativePositionalIo} on the component's
 * own descriptor (the one it is locked by), around the channel's per-call costs.
 */
final class FileComponentIo implements ComponentIo {
    private final FileChannel data;
    private final FileChannel durable;
    private final RangeWriteBack rangeWriteBack;
    /** Null where the platform gives no buffer addresses, or for an A/B run. */
    private final NativePositionalIo positional;

    private FileComponentIo(FileChannel data, FileChannel durable, RangeWriteBack rangeWriteBack,
            NativePositionalIo positional) {
        this.data = data;
        this.durable = durable;
        this.rangeWriteBack = rangeWriteBack;
        this.positional = positional;
    }

    /**
     * @param fd the component's read-write descriptor, closed by the caller after {@link #close}
     *           (-1: none, everything goes through the channel)
     */
    static FileComponentIo open(Path path, RangeWriteBack rangeWriteBack, int fd) throws IOException {
        FileChannel data = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            return new FileComponentIo(data, FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.DSYNC),
                    rangeWriteBack, fd >= 0 && NativePositionalIo.ENABLED ? new NativePositionalIo(fd) : null);
        } catch (IOException e) {
            data.close();
            throw e;
        }
    }

    @Override
    public int read(ByteBuffer target, long position) throws IOException {
        if (positional != null && NativePositionalIo.fits(target)) {
            return positional.read(target, position);
        }
        return data.read(target, position);
    }

    @Override
    public int write(ByteBuffer source, long position) throws IOException {
        if (positional != null && NativePositionalIo.fits(source)) {
            return positional.write(source, position);
        }
        return data.write(source, position);
    }

    @Override
    public boolean addressable() {
        return positional != null;
    }

    @Override
    public int read(long address, int length, long position) throws IOException {
        return positional.read(address, length, position);
    }

    @Override
    public boolean readIfCached(long address, int length, long position) {
        return positional != null && positional.readIfCached(address, length, position);
    }

    @Override
    public int write(long address, int length, long position) throws IOException {
        return positional.write(address, length, position);
    }

    @Override
    public int writeDurable(ByteBuffer source, long position) throws IOException {
        return durable.write(source, position);
    }

    @Override
    public void flush() throws IOException {
        data.force(false);
    }

    @Override
    public boolean writeBack(long position, long length) throws IOException {
        return rangeWriteBack.writeBack(position, length);
    }

    @Override
    public void startWriteBack(long position, long length) {
        if (positional == null) {
            rangeWriteBack.start(position, length);
            return;
        }
        // Not once the descriptor is closed: its number may be another file's by then.
        long stamp = positional.enterIfOpen();
        if (stamp != 0) {
            try {
                rangeWriteBack.start(position, length);
            } finally {
                positional.exit(stamp);
            }
        }
    }

    @Override
    public void close() throws IOException {
        if (positional != null) {
            positional.close();
        }
        try {
            durable.close();
        } finally {
            data.close();
        }
    }
}
