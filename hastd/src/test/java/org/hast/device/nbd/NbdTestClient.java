package org.hast.device.nbd;

import static org.hast.device.nbd.NbdProtocol.*;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A hand-written NBD client over a raw socket for protocol tests: every field is written and
 * read explicitly, so the tests can send anything, malformed included. Reads have a deadline
 * (a server that wrongly stays silent fails the test instead of hanging it).
 */
final class NbdTestClient implements AutoCloseable {
    static final long DEFAULT_TIMEOUT_MS = 5000;

    private final SocketChannel channel;
    private final Selector selector;
    long timeoutMs = DEFAULT_TIMEOUT_MS;

    private NbdTestClient(SocketChannel channel) throws IOException {
        this.channel = channel;
        channel.configureBlocking(false);
        this.selector = Selector.open();
        channel.register(selector, SelectionKey.OP_READ);
    }

    static NbdTestClient connect(Path socket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        return new NbdTestClient(ch);
    }

    static NbdTestClient connect(SocketAddress address) throws IOException {
        if (address instanceof InetSocketAddress) {
            return new NbdTestClient(SocketChannel.open(address));
        }
        throw new IllegalArgumentException(address.toString());
    }

    // --- raw I/O -----------------------------------------------------------------------------

    void send(ByteBuffer buf) throws IOException {
        buf.flip();
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (buf.hasRemaining()) {
            if (channel.write(buf) == 0) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IOException("write timed out");
                }
                Thread.onSpinWait();
                sleepBriefly();
            }
        }
    }

    void sendBytes(byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(bytes.length);
        b.put(bytes);
        send(b);
    }

    ByteBuffer readFully(int n) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(n);
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (buf.hasRemaining()) {
            int got = channel.read(buf);
            if (got < 0) {
                throw new EOFException("server closed after " + buf.position() + " of " + n + " bytes");
            }
            if (got == 0) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    throw new IOException("read timed out after " + buf.position() + " of " + n + " bytes");
                }
                selector.select(left);
                selector.selectedKeys().clear();
            }
        }
        buf.flip();
        return buf;
    }

    /** True when the server closes the connection (EOF or reset) before the deadline; data before it is skipped. */
    boolean closedByServer() throws IOException {
        ByteBuffer sink = ByteBuffer.allocate(64 * 1024);
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (true) {
            sink.clear();
            int got;
            try {
                got = channel.read(sink);
            } catch (IOException e) {
                return true; // reset
            }
            if (got < 0) {
                return true;
            }
            if (got == 0) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    return false;
                }
                selector.select(left);
                selector.selectedKeys().clear();
            }
        }
    }

    // --- handshake ---------------------------------------------------------------------------

    /** Reads the 18-byte greeting, checks both magics, returns the handshake flags. */
    int readGreeting() throws IOException {
        ByteBuffer g = readFully(18);
        long magic = g.getLong();
        long opt = g.getLong();
        if (magic != NBDMAGIC || opt != IHAVEOPT) {
            throw new IOException("bad greeting " + Long.toHexString(magic) + " " + Long.toHexString(opt));
        }
        return g.getShort() & 0xffff;
    }

    void sendClientFlags(int flags) throws IOException {
        send(ByteBuffer.allocate(4).putInt(flags));
    }

    void sendOption(int code, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(16 + data.length);
        b.putLong(IHAVEOPT).putInt(code).putInt(data.length).put(data);
        send(b);
    }

    static final class OptionReply {
        final int option;
        final int type;
        final byte[] data;

        OptionReply(int option, int type, byte[] data) {
            this.option = option;
            this.type = type;
            this.data = data;
        }

        ByteBuffer buffer() {
            return ByteBuffer.wrap(data);
        }
    }

    OptionReply readOptionReply() throws IOException {
        ByteBuffer h = readFully(20);
        long magic = h.getLong();
        if (magic != OPTION_REPLY_MAGIC) {
            throw new IOException("bad option reply magic " + Long.toHexString(magic));
        }
        int option = h.getInt();
        int type = h.getInt();
        int length = h.getInt();
        byte[] data = new byte[length];
        readFully(length).get(data);
        return new OptionReply(option, type, data);
    }

    static byte[] infoData(String name, int... requests) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(4 + n.length + 2 + 2 * requests.length);
        b.putInt(n.length).put(n).putShort((short) requests.length);
        for (int r : requests) {
            b.putShort((short) r);
        }
        return b.array();
    }

    /** Greeting, client flags FIXED_NEWSTYLE|NO_ZEROES, GO on {@code name}; returns the export size. */
    long handshake(String name) throws IOException {
        readGreeting();
        sendClientFlags(CLIENT_FIXED_NEWSTYLE | CLIENT_NO_ZEROES);
        sendOption(OPT_GO, infoData(name));
        long size = -1;
        while (true) {
            OptionReply r = readOptionReply();
            if (r.type == REP_ACK) {
                return size;
            }
            if (r.type != REP_INFO) {
                throw new IOException("GO refused: type 0x" + Integer.toHexString(r.type));
            }
            ByteBuffer d = r.buffer();
            if (d.getShort() == INFO_EXPORT) {
                size = d.getLong();
            }
        }
    }

    // --- transmission ------------------------------------------------------------------------

    void sendRequest(int flags, int type, long cookie, long offset, long length, byte[] payload) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(REQUEST_HEADER_BYTES + (payload == null ? 0 : payload.length));
        b.putInt(REQUEST_MAGIC).putShort((short) flags).putShort((short) type).putLong(cookie).putLong(offset)
                .putInt((int) length);
        if (payload != null) {
            b.put(payload);
        }
        send(b);
    }

    /** Reads one simple reply header; returns {error, cookie} as a long pair. */
    long[] readReply() throws IOException {
        ByteBuffer r = readFully(SIMPLE_REPLY_BYTES);
        int magic = r.getInt();
        if (magic != SIMPLE_REPLY_MAGIC) {
            throw new IOException("bad reply magic " + Integer.toHexString(magic));
        }
        int error = r.getInt();
        return new long[] {error, r.getLong()};
    }

    /** A request whose reply comes next and carries no data; returns the errno. */
    int command(int flags, int type, long offset, long length) throws IOException {
        long cookie = System.nanoTime();
        sendRequest(flags, type, cookie, offset, length, null);
        long[] reply = readReply();
        if (reply[1] != cookie) {
            throw new IOException("cookie mismatch");
        }
        return (int) reply[0];
    }

    int write(long offset, byte[] data, int flags) throws IOException {
        long cookie = System.nanoTime();
        sendRequest(flags, CMD_WRITE, cookie, offset, data.length, data);
        long[] reply = readReply();
        if (reply[1] != cookie) {
            throw new IOException("cookie mismatch");
        }
        return (int) reply[0];
    }

    /** READ; returns the data, or throws with the errno. */
    byte[] read(long offset, int length) throws IOException {
        long cookie = System.nanoTime();
        sendRequest(0, CMD_READ, cookie, offset, length, null);
        long[] reply = readReply();
        if (reply[1] != cookie) {
            throw new IOException("cookie mismatch");
        }
        if (reply[0] != 0) {
            throw new NbdErrno((int) reply[0]);
        }
        byte[] data = new byte[length];
        readFully(length).get(data);
        return data;
    }

    static final class NbdErrno extends IOException {
        final int errno;

        NbdErrno(int errno) {
            super("errno " + errno);
            this.errno = errno;
        }
    }

    private static void sleepBriefly() {
        try {
            Thread.sleep(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws IOException {
        selector.close();
        channel.close();
    }
}
