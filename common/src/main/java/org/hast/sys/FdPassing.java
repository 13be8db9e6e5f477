package org.hast.sys;

import java.io.EOFException;
import java.io.IOException;

import org.hast.platform.Platform;
import org.hast.platform.SocketConstants;
import org.hast.platform.host.HostPlatform;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * Hands an open descriptor to another process over a Unix socket with one {@code SCM_RIGHTS}
 * control message (decisions §5: the main process passes accepted replication connections to a
 * worker JVM). The receiver gets a new descriptor for the same open file description; the
 * sender may close its own right after {@link #sendFd} returns, because the kernel holds a
 * reference while the message is in flight.
 *
 * <p>Every message carries at least one byte of ordinary data: the descriptor travels attached
 * to that data, and a message made of control data alone is not reliably delivered on stream
 * sockets. Use a {@code SOCK_SEQPACKET} socket ({@link RawUnixSocket}) so that every
 * {@code receiveFd} returns exactly one {@code sendFd}'s bytes; on a stream socket the data of
 * consecutive messages may be merged or split, and the protocol must cope with that itself.
 *
 * <p>The structures ({@code struct msghdr}, {@code iovec}, {@code cmsghdr}) are laid out by
 * {@link MessageBlock} from the platform's {@link org.hast.platform.MessageLayout}: glibc's
 * 56-byte msghdr with 8-byte lengths on Linux, FreeBSD's 48-byte one with 4-byte lengths and a
 * 12-byte cmsghdr; {@code CMSG_DATA} is 16 on both. All pieces live in one native block per
 * call; a call allocates, which is fine for one hand-over per replication connection.
 */
public final class FdPassing {
    /**
     * Room for this many descriptors in the receive buffer: more than the one expected, so that
     * extras a confused sender adds arrive here and get closed. Beyond it the kernel drops (and
     * releases) the rest itself and flags {@code MSG_CTRUNC}.
     */
    static final int MAX_RECEIVED_FDS = 16;

    private FdPassing() {
    }

    private static MessageBlock hostBlock() {
        Platform platform = HostPlatform.current();
        return new MessageBlock(platform.messages(), platform.sockets());
    }

    /**
     * Sends {@code fdToSend} with {@code data} (at least one byte) over the connected Unix socket
     * {@code unixSocketFd}, blocking while the socket's send buffer is full. The caller keeps
     * its own {@code fdToSend} and may close it as soon as this returns.
     *
     * @throws IOException with strerror's text when the kernel refuses (a bad descriptor on
     *     either side, a peer that closed its end, a message too long for the socket)
     */
    public static void sendFd(int unixSocketFd, int fdToSend, byte[] data) throws IOException {
        send(unixSocketFd, new int[] {fdToSend}, data, 0);
    }

    /**
     * As {@link #sendFd}, but fails with {@code EAGAIN} instead of waiting when the peer's queue
     * is full. For callers on an event loop; meant for {@code SOCK_SEQPACKET}, where a message
     * goes out whole or not at all.
     */
    public static void sendFdWithoutWaiting(int unixSocketFd, int fdToSend, byte[] data) throws IOException {
        send(unixSocketFd, new int[] {fdToSend}, data, HostPlatform.current().sockets().msgDontwait());
    }

    /** Sends {@code data} (at least one byte) without a descriptor, for replies on the same channel. */
    public static void sendData(int unixSocketFd, byte[] data) throws IOException {
        send(unixSocketFd, new int[0], data, 0);
    }

    /**
     * Sends any number of descriptors in one {@code SCM_RIGHTS} message. Package-private: the
     * protocol passes one at a time, and tests use this to play a sender that adds extras.
     */
    static void send(int unixSocketFd, int[] fds, byte[] data, int flags) throws IOException {
        if (data == null || data.length == 0) {
            throw new IllegalArgumentException("a descriptor needs at least one byte of data to travel with");
        }
        SocketLibC libc = SocketLibC.get();
        MessageBlock message = hostBlock();
        int controlBytes = message.controlBytes(fds.length);
        int dataAt = message.dataAt(controlBytes);
        Pointer block = Memory.allocateDirect(SocketLibC.runtime(), dataAt + data.length, true);
        block.put(dataAt, data, 0, data.length);
        message.header(block, dataAt, data.length, controlBytes);
        if (fds.length > 0) {
            message.rights(block, fds);
        }
        int noSignal = HostPlatform.current().sockets().msgNosignal();
        int sent = 0;
        while (sent < data.length) {
            long n = libc.sendmsg(unixSocketFd, block, flags | noSignal);
            if (n < 0) {
                int errno = SocketLibC.errno();
                if (HostPlatform.current().fromNativeErrno(errno) == SocketLibC.EINTR) {
                    continue;
                }
                String what = fds.length == 0 || sent > 0
                        ? "Unable to send data on socket " + unixSocketFd
                        : "Unable to send descriptor " + describe(fds) + " on socket " + unixSocketFd;
                throw new IOException(what + ": " + libc.strerror(errno));
            }
            sent += (int) n;
            if (sent < data.length) {
                // Only a stream socket stops part way; the descriptor went with the first part,
                // so the rest goes out as plain data.
                block.put(dataAt, data, sent, data.length - sent);
                message.header(block, dataAt, data.length - sent, 0);
            }
        }
    }

    /**
     * Reads one message from {@code unixSocketFd} into {@code dataBuffer}, blocking until one
     * arrives. A message without a descriptor is returned with {@link ReceivedFd#NO_FD}; the
     * caller decides whether that is an error.
     *
     * <p>Never leaks: when the message is refused (more than one descriptor, control data cut
     * short, or data longer than {@code dataBuffer} on a {@code SOCK_SEQPACKET} socket) every
     * descriptor that came with it is closed before the exception is thrown.
     *
     * @throws EOFException when the peer closed its end (or {@link RawUnixSocket#shutdown} was
     *     called) and nothing is left to read
     * @throws IOException with strerror's text when the kernel refuses, or saying why the
     *     message was refused
     */
    public static ReceivedFd receiveFd(int unixSocketFd, byte[] dataBuffer) throws IOException {
        if (dataBuffer.length == 0) {
            throw new IllegalArgumentException("the data buffer must hold at least one byte");
        }
        SocketLibC libc = SocketLibC.get();
        SocketConstants sockets = HostPlatform.current().sockets();
        MessageBlock message = hostBlock();
        int controlBytes = message.controlBytes(MAX_RECEIVED_FDS);
        int dataAt = message.dataAt(controlBytes);
        Pointer block = Memory.allocateDirect(SocketLibC.runtime(), dataAt + dataBuffer.length, true);
        message.header(block, dataAt, dataBuffer.length, controlBytes);
        long n;
        while (true) {
            n = libc.recvmsg(unixSocketFd, block, sockets.msgCmsgCloexec());
            if (n >= 0) {
                break;
            }
            int errno = SocketLibC.errno();
            if (HostPlatform.current().fromNativeErrno(errno) != SocketLibC.EINTR) {
                throw new IOException("Unable to receive descriptor on socket " + unixSocketFd + ": "
                        + libc.strerror(errno));
            }
        }
        int[] fds = message.receivedFds(block, message.controlLength(block));
        int flags = message.flags(block);
        String refusal = null;
        if ((flags & sockets.msgCtrunc()) != 0) {
            refusal = "more than " + MAX_RECEIVED_FDS + " descriptors arrived";
        } else if ((flags & sockets.msgTrunc()) != 0) {
            refusal = "the message is longer than the " + dataBuffer.length + "-byte buffer";
        } else if (fds.length > 1) {
            refusal = "expected one descriptor, " + fds.length + " arrived";
        }
        if (refusal != null) {
            closeQuietly(fds);
            throw new IOException("Unable to receive descriptor on socket " + unixSocketFd + ": " + refusal
                    + " (the descriptors received were closed)");
        }
        if (n == 0 && fds.length == 0) {
            throw new EOFException("Socket " + unixSocketFd + " was closed by the peer");
        }
        block.get(dataAt, dataBuffer, 0, (int) n);
        return new ReceivedFd(fds.length == 1 ? fds[0] : ReceivedFd.NO_FD, (int) n);
    }

    private static void closeQuietly(int[] fds) {
        SocketLibC libc = SocketLibC.get();
        for (int fd : fds) {
            libc.close(fd);
        }
    }

    private static String describe(int[] fds) {
        if (fds.length == 1) {
            return Integer.toString(fds[0]);
        }
        return java.util.Arrays.toString(fds);
    }
}
