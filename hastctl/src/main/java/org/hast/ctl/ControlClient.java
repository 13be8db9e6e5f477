package org.hast.ctl;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.hast.conf.AddressException;
import org.hast.conf.HastAddress;
import org.hast.control.ControlCodes;
import org.hast.nv.NvFormatException;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.hast.proto.FrameHeader;
import org.hast.proto.Frames;
import org.hast.util.IoErrors;
import org.hast.util.SysExits;

/**
 * One request/reply exchange with hastd over its control socket (spec §2.8): header + nv out,
 * header + nv back, then the daemon closes the connection. Uses the JDK's own Unix-domain
 * sockets so that hastctl loads no native library.
 *
 * <p>The whole exchange has a deadline, so a daemon that accepts and never answers (stopped,
 * wedged) cannot hang a failover script: {@link #TIMEOUT}, longer than hastd itself ever
 * takes to answer or drop a request (5 s to receive it, 120 s to act, 5 s to send the reply).
 */
final class ControlClient {
    /** Replies are a few hundred bytes per resource; anything near this is not hastd. */
    private static final int MAX_REPLY_BYTES = 16 << 20;
    static final Duration TIMEOUT = Duration.ofSeconds(150);

    private ControlClient() {
    }

    /**
     * Sends {@code request} to the daemon listening on {@code controlAddress} and returns the
     * reply, failing with the exit codes of spec §2.7: EX_OSERR when no daemon answers the
     * connect, EX_UNAVAILABLE when the exchange breaks, EX_SOFTWARE for a top-level error.
     */
    static NvMessage exchange(String controlAddress, NvWriter request) throws CtlException {
        return exchange(controlAddress, request, TIMEOUT);
    }

    /** As above, failing with EX_UNAVAILABLE when hastd has not answered within {@code timeout}. */
    static NvMessage exchange(String controlAddress, NvWriter request, Duration timeout) throws CtlException {
        UnixDomainSocketAddress address = socketAddress(controlAddress);
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
                Selector selector = Selector.open()) {
            connect(channel, address, controlAddress);
            Deadline deadline = new Deadline(channel, selector, timeout);
            send(deadline, request, controlAddress);
            return readReply(deadline);
        } catch (IOException e) {
            throw new CtlException(SysExits.EX_OSERR, "Unable to create control socket: "
                    + IoErrors.describe(e) + ".");
        }
    }

    private static void connect(SocketChannel channel, UnixDomainSocketAddress address, String controlAddress)
            throws CtlException {
        try {
            channel.connect(address);
            channel.configureBlocking(false);
        } catch (IOException e) {
            throw new CtlException(SysExits.EX_OSERR, "Unable to connect to hastd via "
                    + controlAddress + ": " + IoErrors.describe(e) + ".");
        }
    }

    /** One request frame: the header of spec §4.1, then the nv. */
    private static void send(Deadline deadline, NvWriter request, String controlAddress) throws CtlException {
        try {
            ByteBuffer nv = request.encode();
            deadline.writeFully(new FrameHeader(ControlCodes.FRAME_VERSION, nv.remaining()).encode());
            deadline.writeFully(nv);
        } catch (IOException e) {
            throw new CtlException(SysExits.EX_UNAVAILABLE, "Unable to send command to hastd via "
                    + controlAddress + ": " + IoErrors.describe(e) + ".");
        }
    }

    /**
     * Sends a streaming request ({@code hastctl events}): the reply is awaited within
     * {@code timeout} and checked as for {@link #exchange}; the returned channel then carries one
     * frame per event with no deadline, until either side closes it.
     */
    static SocketChannel openStream(String controlAddress, NvWriter request, Duration timeout) throws CtlException {
        UnixDomainSocketAddress address = socketAddress(controlAddress);
        SocketChannel channel;
        try {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        } catch (IOException e) {
            throw new CtlException(SysExits.EX_OSERR, "Unable to create control socket: "
                    + IoErrors.describe(e) + ".");
        }
        boolean ok = false;
        try (Selector selector = Selector.open()) {
            connect(channel, address, controlAddress);
            Deadline deadline = new Deadline(channel, selector, timeout);
            send(deadline, request, controlAddress);
            readReply(deadline);
            ok = true;
        } catch (IOException e) {
            throw new CtlException(SysExits.EX_OSERR, "Unable to create control socket: "
                    + IoErrors.describe(e) + ".");
        } finally {
            if (!ok) {
                closeQuietly(channel);
            }
        }
        try {
            channel.configureBlocking(true);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new CtlException(SysExits.EX_OSERR, "Unable to use control socket: " + IoErrors.describe(e) + ".");
        }
        return channel;
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // Giving up on it anyway.
        }
    }

    /**
     * Reads hastd's reply (header + nv) and checks its top-level {@code error}. Memory grows
     * with the bytes that actually arrive, not with the size the header announces.
     */
    static NvMessage readReply(ReadableByteChannel channel) throws CtlException {
        NvMessage reply;
        try {
            reply = Frames.readFrom(Channels.newInputStream(channel), MAX_REPLY_BYTES).nv();
        } catch (IOException e) {
            throw new CtlException(SysExits.EX_UNAVAILABLE, "Unable to receive reply from hastd: "
                    + IoErrors.describe(e) + ".");
        } catch (NvFormatException e) {
            throw new CtlException(SysExits.EX_UNAVAILABLE, "Invalid reply from hastd: " + e.getMessage());
        }
        int error = reply.getInt16("error");
        if (error != 0) {
            throw new CtlException(SysExits.EX_SOFTWARE, "Error " + error + " received from hastd.");
        }
        return reply;
    }

    private static UnixDomainSocketAddress socketAddress(String controlAddress) throws CtlException {
        try {
            HastAddress parsed = HastAddress.parse(controlAddress, HastAddress.DEFAULT_PORT);
            if (!parsed.isUds()) {
                throw new CtlException(SysExits.EX_OSERR, "Unable to connect to hastd via "
                        + controlAddress + ": only Unix-domain control sockets are supported.");
            }
            return parsed.toUnixSocketAddress();
        } catch (AddressException e) {
            throw new CtlException(SysExits.EX_OSERR, "Unable to connect to hastd via "
                    + controlAddress + ": " + e.getMessage());
        }
    }

    /**
     * Reads and writes on a non-blocking channel that give up when the exchange's time is up;
     * as a channel, a read waits for at least one byte (or the end) like a blocking one.
     */
    private static final class Deadline implements ReadableByteChannel {
        private final SocketChannel channel;
        private final Selector selector;
        private final Duration timeout;
        private final long endNanos;

        Deadline(SocketChannel channel, Selector selector, Duration timeout) {
            this.channel = channel;
            this.selector = selector;
            this.timeout = timeout;
            this.endNanos = System.nanoTime() + timeout.toNanos();
        }

        void writeFully(ByteBuffer buffer) throws IOException {
            while (buffer.hasRemaining()) {
                if (channel.write(buffer) == 0) {
                    await(SelectionKey.OP_WRITE);
                }
            }
        }

        @Override
        public int read(ByteBuffer buffer) throws IOException {
            while (true) {
                int n = channel.read(buffer);
                if (n != 0 || !buffer.hasRemaining()) {
                    return n;
                }
                await(SelectionKey.OP_READ);
            }
        }

        @Override
        public boolean isOpen() {
            return channel.isOpen();
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }

        private void await(int operation) throws IOException {
            SelectionKey key = channel.register(selector, operation);
            try {
                while (true) {
                    long left = TimeUnit.NANOSECONDS.toMillis(endNanos - System.nanoTime());
                    if (left <= 0) {
                        throw new IOException("Operation timed out after " + timeout.toSeconds() + " s");
                    }
                    if (selector.select(left) > 0) {
                        return;
                    }
                }
            } finally {
                key.cancel();
                selector.selectNow(); // deregisters the cancelled key before the next register
            }
        }
    }
}
