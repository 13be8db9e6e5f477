package org.hast.device.netlink;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The NBD driver's generic-netlink interface (linux:include/uapi/linux/nbd-netlink.h, family
 * {@code "nbd"}, version 1). Unlike the ioctls it lets a device outlive the process that
 * configured it: with a dead-connection timeout, requests wait when the socket dies, and
 * another process hands the device a new socket with {@link #reconfigure}. Needs
 * CAP_SYS_ADMIN.
 */
public final class NbdNetlink implements AutoCloseable {
    public static final String FAMILY = "nbd";
    static final int VERSION = 1;

    static final int CMD_CONNECT = 1;
    static final int CMD_DISCONNECT = 2;
    static final int CMD_RECONFIGURE = 3;
    static final int CMD_STATUS = 5;

    static final int ATTR_INDEX = 1;
    static final int ATTR_SIZE_BYTES = 2;
    static final int ATTR_BLOCK_SIZE_BYTES = 3;
    static final int ATTR_TIMEOUT = 4;
    static final int ATTR_SERVER_FLAGS = 5;
    static final int ATTR_SOCKETS = 7;
    static final int ATTR_DEAD_CONN_TIMEOUT = 8;
    static final int ATTR_DEVICE_LIST = 9;
    /** Since Linux 5.18; older kernels ignore it (the family does not validate strictly). */
    static final int ATTR_BACKEND_IDENTIFIER = 10;

    static final int SOCK_ITEM = 1;
    static final int SOCK_FD = 1;
    static final int DEVICE_ITEM = 1;
    static final int DEVICE_INDEX = 1;
    static final int DEVICE_CONNECTED = 2;

    /** What a new connection is configured with. */
    public record Settings(long sizeBytes, long blockSize, long serverFlags, int timeoutSeconds,
                           int deadConnTimeoutSeconds, String backend) {
    }

    private final GenericNetlink socket;
    private final int family;

    private NbdNetlink(GenericNetlink socket, int family) {
        this.socket = socket;
        this.family = family;
    }

    /**
     * A netlink socket with the {@code nbd} family resolved.
     *
     * @throws IOException when there is no such family (kernel before 4.12, or nbd not loaded)
     *                     or no netlink at all
     */
    public static NbdNetlink open() throws IOException {
        GenericNetlink socket = GenericNetlink.open();
        try {
            return new NbdNetlink(socket, socket.familyId(FAMILY));
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /**
     * Configures a device on the kernel end {@code socketFd} of a connection; the kernel takes
     * its own reference to the socket. With {@code index} negative the kernel picks a free
     * device (or makes one). Returns the device's index.
     */
    public int connect(int index, Settings settings, int socketFd) throws IOException {
        NetlinkMessage request = connectMessage(family, socket.nextSeq(), index, settings, socketFd);
        List<NetlinkAttributes> replies = socket.transact(request, "NBD_CMD_CONNECT");
        for (NetlinkAttributes reply : replies) {
            long chosen = reply.unsigned(ATTR_INDEX, -1);
            if (chosen >= 0) {
                return (int) chosen;
            }
        }
        if (index >= 0) {
            return index;
        }
        throw new IOException("NBD_CMD_CONNECT: the kernel did not say which device it configured");
    }

    /**
     * Gives device {@code index}, whose connection died, the new socket {@code socketFd}:
     * requests waiting for a live connection go to it. Fails (EINVAL) on a device that was
     * configured by ioctl or is not configured, or whose backend identifier is not
     * {@code backend} (a device connected with one must be reconfigured with the same), and
     * (ENOSPC) when its connection is not dead.
     */
    public void reconfigure(int index, int socketFd, int timeoutSeconds, int deadConnTimeoutSeconds, String backend)
            throws IOException {
        socket.transact(reconfigureMessage(family, socket.nextSeq(), index, socketFd, timeoutSeconds,
                deadConnTimeoutSeconds, backend), "NBD_CMD_RECONFIGURE nbd" + index);
    }

    /** Ends device {@code index}'s connection: requests still queued fail, the device is freed. */
    public void disconnect(int index) throws IOException {
        socket.transact(NetlinkMessage.request(family, CMD_DISCONNECT, VERSION, socket.nextSeq())
                .u32(ATTR_INDEX, index), "NBD_CMD_DISCONNECT nbd" + index);
    }

    /** Whether device {@code index} has a configuration (a live or a dead connection). */
    public boolean connected(int index) throws IOException {
        List<NetlinkAttributes> replies = socket.transact(NetlinkMessage.request(family, CMD_STATUS, VERSION,
                socket.nextSeq()).u32(ATTR_INDEX, index), "NBD_CMD_STATUS nbd" + index);
        for (NetlinkAttributes reply : replies) {
            Boolean connected = connectedIn(reply, index);
            if (connected != null) {
                return connected;
            }
        }
        return false;
    }

    /** NBD_ATTR_DEVICE_LIST { NBD_DEVICE_ITEM { INDEX, CONNECTED } ... } for {@code index}, or null. */
    static Boolean connectedIn(NetlinkAttributes reply, int index) {
        ByteBuffer list = reply.find(ATTR_DEVICE_LIST);
        if (list == null) {
            return null;
        }
        for (ByteBuffer item : new NetlinkAttributes(list).findAll(DEVICE_ITEM)) {
            NetlinkAttributes device = new NetlinkAttributes(item);
            if (device.unsigned(DEVICE_INDEX, -1) == index) {
                return device.unsigned(DEVICE_CONNECTED, 0) != 0;
            }
        }
        return null;
    }

    static NetlinkMessage connectMessage(int family, int seq, int index, Settings settings, int socketFd) {
        NetlinkMessage m = NetlinkMessage.request(family, CMD_CONNECT, VERSION, seq);
        if (index >= 0) {
            m.u32(ATTR_INDEX, index);
        }
        m.u64(ATTR_SIZE_BYTES, settings.sizeBytes())
                .u64(ATTR_BLOCK_SIZE_BYTES, settings.blockSize())
                .u64(ATTR_SERVER_FLAGS, settings.serverFlags())
                .u64(ATTR_TIMEOUT, settings.timeoutSeconds())
                .u64(ATTR_DEAD_CONN_TIMEOUT, settings.deadConnTimeoutSeconds());
        if (settings.backend() != null) {
            m.string(ATTR_BACKEND_IDENTIFIER, settings.backend());
        }
        return sockets(m, socketFd);
    }

    static NetlinkMessage reconfigureMessage(int family, int seq, int index, int socketFd, int timeoutSeconds,
                                             int deadConnTimeoutSeconds, String backend) {
        NetlinkMessage m = NetlinkMessage.request(family, CMD_RECONFIGURE, VERSION, seq)
                .u32(ATTR_INDEX, index)
                .u64(ATTR_TIMEOUT, timeoutSeconds)
                .u64(ATTR_DEAD_CONN_TIMEOUT, deadConnTimeoutSeconds);
        if (backend != null) {
            m.string(ATTR_BACKEND_IDENTIFIER, backend);
        }
        return sockets(m, socketFd);
    }

    private static NetlinkMessage sockets(NetlinkMessage m, int socketFd) {
        int sockets = m.beginNested(ATTR_SOCKETS);
        int item = m.beginNested(SOCK_ITEM);
        m.u32(SOCK_FD, socketFd);
        m.endNested(item);
        return m.endNested(sockets);
    }

    @Override
    public void close() {
        socket.close();
    }
}
