package org.hast.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import com.sun.nio.file.ExtendedOpenOption;

/**
 * {@code localio direct}: data goes around the page cache ({@code O_DIRECT}), as on a FreeBSD
 * GEOM provider. {@code O_DIRECT} needs the offset, the length and the buffer's address aligned
 * to the provider's block; a request whose offset and length are aligned but whose buffer is not
 * (an NBD reply's data follows its 16-byte header; any heap buffer) goes through this thread's aligned bounce
 * buffer, and one whose offset or length is not (an NBD client may send 512-byte sectors) goes
 * to a buffered descriptor. The kernel keeps the two coherent: a direct read writes back dirty
 * cached pages of its range first, a direct write drops them. The metadata area keeps its
 * buffered {@code O_DSYNC} descriptor.
 */
final class DirectComponentIo implements ComponentIo {
    private final FileChannel direct;
    private final FileChannel buffered;
    private final FileChannel durable;
    private final int block;
    private final RangeWriteBack rangeWriteBack;
    private final ThreadLocal<ByteBuffer> bounce = new ThreadLocal<>();

    private DirectComponentIo(FileChannel direct, FileChannel buffered, FileChannel durable, int block,
            RangeWriteBack rangeWriteBack) {
        this.rangeWriteBack = rangeWriteBack;
        this.direct = direct;
        this.buffered = buffered;
        this.durable = durable;
        this.block = block;
    }

    static DirectComponentIo open(Path path, RangeWriteBack rangeWriteBack) throws IOException {
        // The alignment the JDK enforces on a direct channel: the file store's block size.
        int block = (int) Files.getFileStore(path).getBlockSize();
        FileChannel direct = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE,
                ExtendedOpenOption.DIRECT);
        FileChannel buffered = null;
        try {
            buffered = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileChannel durable = FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.DSYNC);
            return new DirectComponentIo(direct, buffered, durable, block, rangeWriteBack);
        } catch (IOException e) {
            direct.close();
            if (buffered != null) {
                buffered.close();
            }
            throw e;
        }
    }

    int block() {
        return block;
    }

    @Override
    public int read(ByteBuffer target, long position) throws IOException {
        int length = target.remaining();
        if (!alignedRange(position, length)) {
            return buffered.read(target, position);
        }
        if (alignedAddress(target)) {
            return direct.read(target, position);
        }
        ByteBuffer aligned = bounce(length);
        int n = direct.read(aligned, position);
        if (n > 0) {
            aligned.flip();
            target.put(aligned);
        }
        return n;
    }

    @Override
    public int write(ByteBuffer source, long position) throws IOException {
        int length = source.remaining();
        if (!alignedRange(position, length)) {
            return buffered.write(source, position);
        }
        if (alignedAddress(source)) {
            return direct.write(source, position);
        }
        ByteBuffer aligned = bounce(length);
        int start = source.position();
        aligned.put(source.duplicate()).flip();
        int n = direct.write(aligned, position);
        source.position(start + Math.max(n, 0));
        return n;
    }

    @Override
    public int writeDurable(ByteBuffer source, long position) throws IOException {
        return durable.write(source, position);
    }

    @Override
    public void flush() throws IOException {
        // Writes that went the buffered way, then the device cache.
        buffered.force(false);
    }

    private boolean alignedRange(long position, int length) {
        return position % block == 0 && length % block == 0 && length > 0;
    }

    /**
     * Heap buffers are bounced here too: the JDK would copy them through an aligned temporary
     * buffer of its own, which it then caches and later fails to free (a NullPointerException
     * in {@code sun.nio.ch.Util.free} on JDK 17, in whatever I/O the thread does next).
     */
    private boolean alignedAddress(ByteBuffer buffer) {
        return buffer.isDirect() && buffer.alignmentOffset(buffer.position(), block) == 0;
    }

    /** This thread's aligned buffer, cleared, limited to {@code length}; grown when too small. */
    private ByteBuffer bounce(int length) {
        ByteBuffer aligned = bounce.get();
        if (aligned == null || aligned.capacity() < length) {
            aligned = ByteBuffer.allocateDirect(length + block).alignedSlice(block);
            bounce.set(aligned);
        }
        aligned.clear().limit(length);
        return aligned;
    }

    @Override
    public boolean writeBack(long position, long length) throws IOException {
        return rangeWriteBack.writeBack(position, length);
    }

    @Override
    public void close() throws IOException {
        try {
            durable.close();
        } finally {
            try {
                buffered.close();
            } finally {
                direct.close();
            }
        }
    }
}
