package org.hast.sys;

import java.io.EOFException;
import java.io.IOException;

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
 * <p>The structs are laid out by hand for Linux LP64 (x86_64; aarch64 is identical), the
 * offsets being those of glibc's {@code <bits/socket.h>} and {@code <bits/types/struct_iovec.h>}:
 * <pre>
 * struct msghdr, 56 bytes          struct iovec, 16 bytes      struct cmsghdr, 16 bytes + data
 *   0 void  *msg_name                 0 void  *iov_base          0 size_t cmsg_len
 *   8 uint32 msg_namelen (+4 pad)     8 size_t iov_len           8 int    cmsg_level (SOL_SOCKET)
 *  16 iovec *msg_iov                                            12 int    cmsg_type  (SCM_RIGHTS)
 *  24 size_t msg_iovlen                                         16 int    fds[]      (CMSG_DATA)
 *  32 void  *msg_control
 *  40 size_t msg_controllen
 *  48 int    msg_flags (+4 pad)
 * </pre>
 * {@code CMSG_ALIGN(n)} rounds up to 8, {@code CMSG_LEN(n) = 16 + n} and
 * {@code CMSG_SPACE(n) = 16 + CMSG_ALIGN(n)}: for one descriptor 20 and 24 bytes.
 *
 * <p>All four pieces live in one native block per call: msghdr at 0, iovec at 56, the control
 * buffer at 72 (8-aligned, as cmsghdr needs) and the data after it. A call allocates, which is
 * fine for one hand-over per replication connection.
 */
public final class FdPassing {
    public static final int MSGHDR_SIZE = 56;
    public static final int MSG_NAME = 0;
    public static final int MSG_NAMELEN = 8;
    public static final int MSG_IOV = 16;
    public static final int MSG_IOVLEN = 24;
    public static final int MSG_CONTROL = 32;
    public static final int MSG_CONTROLLEN = 40;
    public static final int MSG_FLAGS = 48;

    public static final int IOVEC_SIZE = 16;
    public static final int IOV_BASE = 0;
    public static final int IOV_LEN = 8;

    public static final int CMSGHDR_SIZE = 16;
    public static final int CMSG_LEN_FIELD = 0;
    public static final int CMSG_LEVEL = 8;
    public static final int CMSG_TYPE = 12;
    public static final int CMSG_DATA = 16;

    private static final int IOVEC_AT = MSGHDR_SIZE;
    private static final int CONTROL_AT = IOVEC_AT + IOVEC_SIZE;

    /**
     * Room for this many descriptors in the receive buffer: more than the one expected, so that
     * extras a confused sender adds arrive here and get closed. Beyond it the kernel drops (and
     * releases) the rest itself and flags {@code MSG_CTRUNC}.
     */
    static final int MAX_RECEIVED_FDS = 16;

    private FdPassing() {
    }

    static int cmsgAlign(int length) {
        return (length + 7) & ~7;
    }

    static int cmsgLen(int dataBytes) {
        return CMSGHDR_SIZE + dataBytes;
    }

    static int cmsgSpace(int dataBytes) {
        return CMSGHDR_SIZE + cmsgAlign(dataBytes);
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
        send(unixSocketFd, new int[] {fdToSend}, data, SocketLibC.MSG_DONTWAIT);
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
        int controlBytes = fds.length == 0 ? 0 : cmsgSpace(Integer.BYTES * fds.length);
        int dataAt = CONTROL_AT + controlBytes;
        Pointer block = Memory.allocateDirect(SocketLibC.runtime(), dataAt + data.length, true);
        long base = block.address();
        block.put(dataAt, data, 0, data.length);
        block.putAddress(IOVEC_AT + IOV_BASE, base + dataAt);
        block.putLongLong(IOVEC_AT + IOV_LEN, data.length);
        block.putAddress(MSG_IOV, base + IOVEC_AT);
        block.putLongLong(MSG_IOVLEN, 1);
        if (fds.length > 0) {
            block.putAddress(MSG_CONTROL, base + CONTROL_AT);
            block.putLongLong(MSG_CONTROLLEN, controlBytes);
            block.putLongLong(CONTROL_AT + CMSG_LEN_FIELD, cmsgLen(Integer.BYTES * fds.length));
            block.putInt(CONTROL_AT + CMSG_LEVEL, SocketLibC.SOL_SOCKET);
            block.putInt(CONTROL_AT + CMSG_TYPE, SocketLibC.SCM_RIGHTS);
            for (int i = 0; i < fds.length; i++) {
                block.putInt(CONTROL_AT + CMSG_DATA + (long) Integer.BYTES * i, fds[i]);
            }
        }
        int sent = 0;
        while (sent < data.length) {
            long n = libc.sendmsg(unixSocketFd, block, flags | SocketLibC.MSG_NOSIGNAL);
            if (n < 0) {
                int errno = SocketLibC.errno();
                if (errno == SocketLibC.EINTR) {
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
                block.putAddress(IOVEC_AT + IOV_BASE, base + dataAt + sent);
                block.putLongLong(IOVEC_AT + IOV_LEN, data.length - sent);
                block.putAddress(MSG_CONTROL, 0L);
                block.putLongLong(MSG_CONTROLLEN, 0L);
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
        int controlBytes = cmsgSpace(Integer.BYTES * MAX_RECEIVED_FDS);
        int dataAt = CONTROL_AT + controlBytes;
        Pointer block = Memory.allocateDirect(SocketLibC.runtime(), dataAt + dataBuffer.length, true);
        long base = block.address();
        block.putAddress(IOVEC_AT + IOV_BASE, base + dataAt);
        block.putLongLong(IOVEC_AT + IOV_LEN, dataBuffer.length);
        block.putAddress(MSG_IOV, base + IOVEC_AT);
        block.putLongLong(MSG_IOVLEN, 1);
        block.putAddress(MSG_CONTROL, base + CONTROL_AT);
        block.putLongLong(MSG_CONTROLLEN, controlBytes);
        long n;
        while (true) {
            n = libc.recvmsg(unixSocketFd, block, SocketLibC.MSG_CMSG_CLOEXEC);
            if (n >= 0) {
                break;
            }
            int errno = SocketLibC.errno();
            if (errno != SocketLibC.EINTR) {
                throw new IOException("Unable to receive descriptor on socket " + unixSocketFd + ": "
                        + libc.strerror(errno));
            }
        }
        int[] fds = receivedFds(block, CONTROL_AT, block.getLongLong(MSG_CONTROLLEN));
        int flags = block.getInt(MSG_FLAGS);
        String refusal = null;
        if ((flags & SocketLibC.MSG_CTRUNC) != 0) {
            refusal = "more than " + MAX_RECEIVED_FDS + " descriptors arrived";
        } else if ((flags & SocketLibC.MSG_TRUNC) != 0) {
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

    /**
     * Walks the control messages as CMSG_FIRSTHDR/CMSG_NXTHDR do and gathers the descriptors of
     * every {@code SCM_RIGHTS} one; other kinds (credentials, if someone turned them on) are
     * skipped. {@code usedBytes} is {@code msg_controllen} as the kernel left it.
     */
    static int[] receivedFds(Pointer block, int controlAt, long usedBytes) {
        int[] fds = new int[0];
        long offset = 0;
        while (offset + CMSGHDR_SIZE <= usedBytes) {
            long length = block.getLongLong(controlAt + offset + CMSG_LEN_FIELD);
            if (length < CMSGHDR_SIZE || offset + length > usedBytes) {
                break;
            }
            if (block.getInt(controlAt + offset + CMSG_LEVEL) == SocketLibC.SOL_SOCKET
                    && block.getInt(controlAt + offset + CMSG_TYPE) == SocketLibC.SCM_RIGHTS) {
                int count = (int) ((length - CMSGHDR_SIZE) / Integer.BYTES);
                int[] more = new int[fds.length + count];
                System.arraycopy(fds, 0, more, 0, fds.length);
                for (int i = 0; i < count; i++) {
                    more[fds.length + i] = block.getInt(controlAt + offset + CMSG_DATA + (long) Integer.BYTES * i);
                }
                fds = more;
            }
            offset += cmsgAlign((int) length);
        }
        return fds;
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
