package org.hast.device.netlink;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One {@code NETLINK_GENERIC} socket for request/acknowledgement exchanges with the kernel
 * (linux:include/uapi/linux/genetlink.h). Every request asks for an acknowledgement; the
 * replies to it are read until that acknowledgement (or the error it carries) arrives, so a call
 * never returns before the kernel has acted. Receives time out after {@link #RECEIVE_TIMEOUT_SECONDS}
 * instead of blocking for ever. Not thread-safe: one caller at a time.
 */
public final class GenericNetlink implements AutoCloseable {
    /** The controller's fixed family id ({@code GENL_ID_CTRL}). */
    static final int GENL_ID_CTRL = 0x10;
    static final int CTRL_CMD_GETFAMILY = 3;
    static final int CTRL_ATTR_FAMILY_ID = 1;
    static final int CTRL_ATTR_FAMILY_NAME = 2;
    static final int NLMSG_ERROR = 2;
    static final int NLMSG_DONE = 3;
    static final long RECEIVE_TIMEOUT_SECONDS = 30;
    private static final int RECEIVE_BYTES = 32 * 1024;

    private final int fd;
    private final byte[] received = new byte[RECEIVE_BYTES];
    private int seq = (int) (System.nanoTime() & 0x7fffffff);

    private GenericNetlink(int fd) {
        this.fd = fd;
    }

    public static GenericNetlink open() throws IOException {
        NetlinkLibC libc = NetlinkLibC.get();
        int fd = libc.socket(NetlinkLibC.AF_NETLINK, NetlinkLibC.SOCK_RAW | NetlinkLibC.SOCK_CLOEXEC,
                NetlinkLibC.NETLINK_GENERIC);
        if (fd < 0) {
            throw new NetlinkException("socket(AF_NETLINK, NETLINK_GENERIC)", NetlinkLibC.errno());
        }
        ByteBuffer timeval = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
        timeval.putLong(RECEIVE_TIMEOUT_SECONDS).putLong(0);
        if (libc.setsockopt(fd, NetlinkLibC.SOL_SOCKET, NetlinkLibC.SO_RCVTIMEO, timeval.array(), 16) < 0) {
            int errno = NetlinkLibC.errno();
            libc.close(fd);
            throw new NetlinkException("setsockopt(SO_RCVTIMEO) on a netlink socket", errno);
        }
        return new GenericNetlink(fd);
    }

    /** The id of generic-netlink family {@code name}; ENOENT when the kernel has none. */
    public int familyId(String name) throws IOException {
        NetlinkMessage request = NetlinkMessage.request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, nextSeq())
                .string(CTRL_ATTR_FAMILY_NAME, name);
        for (NetlinkAttributes reply : transact(request, "CTRL_CMD_GETFAMILY " + name)) {
            long id = reply.unsigned(CTRL_ATTR_FAMILY_ID, -1);
            if (id >= 0) {
                return (int) id;
            }
        }
        throw new IOException("CTRL_CMD_GETFAMILY " + name + ": no family id in the reply");
    }

    /** A sequence number for the next request. */
    public int nextSeq() {
        seq = (seq + 1) & 0x7fffffff;
        return seq;
    }

    /**
     * Sends {@code request} and returns the attributes of every generic-netlink message the
     * kernel answered with before its acknowledgement.
     *
     * @throws NetlinkException when the kernel refused the request
     */
    public List<NetlinkAttributes> transact(NetlinkMessage request, String what) throws IOException {
        byte[] bytes = request.finish();
        int requestSeq = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder()).getInt(8);
        NetlinkLibC libc = NetlinkLibC.get();
        long sent;
        do {
            sent = libc.send(fd, bytes, bytes.length, 0);
        } while (sent < 0 && NetlinkLibC.errno() == NetlinkLibC.EINTR);
        if (sent != bytes.length) {
            throw new NetlinkException(what + ": send", sent < 0 ? NetlinkLibC.errno() : 0);
        }
        List<NetlinkAttributes> replies = new ArrayList<>();
        while (true) {
            long length = libc.recv(fd, received, received.length, 0);
            if (length < 0) {
                int errno = NetlinkLibC.errno();
                if (errno == NetlinkLibC.EINTR) {
                    continue;
                }
                throw new NetlinkException(what + ": no answer from the kernel", errno);
            }
            // A copy: the replies are read after the next receive has reused the buffer.
            if (parse(ByteBuffer.wrap(Arrays.copyOf(received, (int) length)), requestSeq, what, replies)) {
                return replies;
            }
        }
    }

    /**
     * Walks the messages of one datagram; adds the generic-netlink payloads for {@code seq} to
     * {@code replies}; true once the acknowledgement (or NLMSG_DONE) was seen.
     *
     * @throws NetlinkException for an error acknowledgement
     */
    static boolean parse(ByteBuffer datagram, int seq, String what, List<NetlinkAttributes> replies)
            throws NetlinkException {
        ByteBuffer in = datagram.slice().order(ByteOrder.nativeOrder());
        int at = 0;
        boolean done = false;
        while (at + NetlinkMessage.HEADER_BYTES <= in.limit()) {
            int length = in.getInt(at);
            int type = Short.toUnsignedInt(in.getShort(at + 4));
            int messageSeq = in.getInt(at + 8);
            if (length < NetlinkMessage.HEADER_BYTES || at + length > in.limit()) {
                throw new IllegalArgumentException("malformed netlink message at " + at + ": length " + length);
            }
            if (messageSeq == seq) {
                if (type == NLMSG_ERROR) {
                    int error = in.getInt(at + NetlinkMessage.HEADER_BYTES);
                    if (error != 0) {
                        throw new NetlinkException(what, -error);
                    }
                    done = true;
                } else if (type == NLMSG_DONE) {
                    done = true;
                } else {
                    int attrs = at + NetlinkMessage.HEADER_BYTES + NetlinkMessage.GENL_HEADER_BYTES;
                    replies.add(new NetlinkAttributes(in.slice(attrs, at + length - attrs)));
                }
            }
            at += (length + 3) & ~3;
        }
        return done;
    }

    @Override
    public void close() {
        NetlinkLibC.get().close(fd);
    }
}
