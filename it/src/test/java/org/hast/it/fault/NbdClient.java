package org.hast.it.fault;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small NBD client over a Unix socket (shared/spec/nbd.md): fixed newstyle handshake with
 * {@code NBD_OPT_EXPORT_NAME}, then pipelined READ, WRITE and FLUSH with simple replies. Requests
 * are sent by the caller's thread (serialised); one reader thread completes the futures, so
 * several requests can be in flight. When the connection dies every outstanding future fails:
 * the caller never takes an unanswered write for an acknowledged one.
 */
final class NbdClient implements AutoCloseable {
    private static final long NBDMAGIC = 0x4e42444d41474943L;
    private static final long IHAVEOPT = 0x49484156454F5054L;
    private static final int FLAG_FIXED_NEWSTYLE = 1;
    private static final int FLAG_NO_ZEROES = 2;
    private static final int OPT_EXPORT_NAME = 1;
    private static final int REQUEST_MAGIC = 0x25609513;
    private static final int SIMPLE_REPLY_MAGIC = 0x67446698;
    private static final short CMD_READ = 0;
    private static final short CMD_WRITE = 1;
    private static final short CMD_DISC = 2;
    private static final short CMD_FLUSH = 3;

    /** A request answered with a non-zero NBD error. */
    static final class NbdError extends IOException {
        final int errno;

        NbdError(String what, int errno) {
            super(what + " failed with NBD error " + errno);
            this.errno = errno;
        }
    }

    private record Pending(CompletableFuture<ByteBuffer> future, int readLength, String what) {
    }

    private final SocketChannel channel;
    private final long size;
    private final AtomicLong cookies = new AtomicLong();
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final Thread reader;
    private volatile IOException broken;

    private NbdClient(SocketChannel channel, long size) {
        this.channel = channel;
        this.size = size;
        this.reader = new Thread(this::readReplies, "nbd-replies");
        this.reader.setDaemon(true);
        this.reader.start();
    }

    static NbdClient connect(Path socket, String exportName) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer greeting = readFully(ch, 18);
            if (greeting.getLong() != NBDMAGIC || greeting.getLong() != IHAVEOPT) {
                throw new IOException("not a fixed-newstyle NBD server");
            }
            int serverFlags = greeting.getShort() & 0xffff;
            boolean noZeroes = (serverFlags & FLAG_NO_ZEROES) != 0;
            byte[] name = exportName.getBytes(StandardCharsets.UTF_8);
            ByteBuffer hello = ByteBuffer.allocate(4 + 16 + name.length);
            hello.putInt(FLAG_FIXED_NEWSTYLE | (noZeroes ? FLAG_NO_ZEROES : 0));
            hello.putLong(IHAVEOPT).putInt(OPT_EXPORT_NAME).putInt(name.length).put(name).flip();
            writeFully(ch, hello);
            ByteBuffer reply = readFully(ch, 10 + (noZeroes ? 0 : 124));
            long exportSize = reply.getLong();
            return new NbdClient(ch, exportSize);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    long size() {
        return size;
    }

    CompletableFuture<ByteBuffer> write(long offset, ByteBuffer data) {
        return send(CMD_WRITE, offset, data.remaining(), data, 0, "WRITE " + offset + "+" + data.remaining());
    }

    CompletableFuture<ByteBuffer> read(long offset, int length) {
        return send(CMD_READ, offset, length, null, length, "READ " + offset + "+" + length);
    }

    CompletableFuture<ByteBuffer> flush() {
        return send(CMD_FLUSH, 0, 0, null, 0, "FLUSH");
    }

    private synchronized CompletableFuture<ByteBuffer> send(short type, long offset, int length, ByteBuffer data,
            int readLength, String what) {
        CompletableFuture<ByteBuffer> future = new CompletableFuture<>();
        if (broken != null) {
            future.completeExceptionally(broken);
            return future;
        }
        long cookie = cookies.incrementAndGet();
        pending.put(cookie, new Pending(future, readLength, what));
        ByteBuffer header = ByteBuffer.allocate(28);
        header.putInt(REQUEST_MAGIC).putShort((short) 0).putShort(type).putLong(cookie).putLong(offset)
                .putInt(length).flip();
        try {
            writeFully(channel, header);
            if (data != null) {
                writeFully(channel, data.duplicate());
            }
        } catch (IOException e) {
            fail(e);
        }
        return future;
    }

    private void readReplies() {
        try {
            while (true) {
                ByteBuffer header = readFully(channel, 16);
                if (header.getInt() != SIMPLE_REPLY_MAGIC) {
                    throw new IOException("unexpected reply magic");
                }
                int error = header.getInt();
                long cookie = header.getLong();
                Pending p = pending.remove(cookie);
                if (p == null) {
                    throw new IOException("reply for unknown cookie " + cookie);
                }
                if (error != 0) {
                    p.future.completeExceptionally(new NbdError(p.what, error));
                } else if (p.readLength > 0) {
                    p.future.complete(readFully(channel, p.readLength));
                } else {
                    p.future.complete(null);
                }
            }
        } catch (IOException e) {
            fail(e);
        }
    }

    private synchronized void fail(IOException e) {
        if (broken == null) {
            broken = e;
        }
        for (Long cookie : pending.keySet()) {
            Pending p = pending.remove(cookie);
            if (p != null) {
                p.future.completeExceptionally(new IOException(p.what + ": connection lost", e));
            }
        }
    }

    private static ByteBuffer readFully(SocketChannel ch, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) {
                throw new EOFException("NBD server closed the connection");
            }
        }
        return buf.flip();
    }

    private static void writeFully(SocketChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    @Override
    public void close() {
        try {
            if (broken == null && pending.isEmpty()) {
                ByteBuffer disc = ByteBuffer.allocate(28);
                disc.putInt(REQUEST_MAGIC).putShort((short) 0).putShort(CMD_DISC).putLong(0).putLong(0).putInt(0)
                        .flip();
                synchronized (this) {
                    writeFully(channel, disc);
                }
            }
        } catch (IOException e) {
            // closing anyway
        }
        try {
            channel.close();
        } catch (IOException e) {
            // nothing left to do
        }
        fail(new IOException("client closed"));
    }
}
