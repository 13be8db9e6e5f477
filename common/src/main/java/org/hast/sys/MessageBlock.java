package org.hast.sys;

import org.hast.platform.MessageLayout;
import org.hast.platform.SocketConstants;

import jnr.ffi.Pointer;

/**
 * The native block one {@code sendmsg}/{@code recvmsg} call uses, laid out for one system
 * ({@link MessageLayout}, {@link SocketConstants}): the {@code struct msghdr} at 0, its one
 * {@code struct iovec} after it, the control buffer (one {@code SCM_RIGHTS} cmsghdr) after that,
 * 8-aligned as cmsghdr needs, and the ordinary data last. Linux makes {@code msg_iovlen},
 * {@code msg_controllen} and {@code cmsg_len} 8 bytes wide, FreeBSD 4: every such field is
 * written and read at the layout's width.
 *
 * <p>Pure layout: it never calls the kernel, so a test can fill a block for FreeBSD on Linux
 * and compare its bytes with the compiler-made tables.
 */
final class MessageBlock {
    private final MessageLayout layout;
    private final SocketConstants sockets;

    MessageBlock(MessageLayout layout, SocketConstants sockets) {
        this.layout = layout;
        this.sockets = sockets;
    }

    private static int align8(int n) {
        return (n + 7) & ~7;
    }

    int iovecAt() {
        return align8(layout.msghdrSize());
    }

    int controlAt() {
        return align8(iovecAt() + layout.iovecSize());
    }

    /** {@code CMSG_SPACE} for {@code count} descriptors, or 0 for none. */
    int controlBytes(int count) {
        return count == 0 ? 0 : layout.cmsgSpace(Integer.BYTES * count);
    }

    /** Where the data goes after a control buffer of {@code controlBytes}. */
    int dataAt(int controlBytes) {
        return controlAt() + controlBytes;
    }

    /**
     * Fills the msghdr and iovec for {@code dataLength} bytes at {@code dataAt} and a control
     * buffer of {@code controlBytes} (none when 0); addresses are {@code block}'s own.
     */
    void header(Pointer block, int dataAt, int dataLength, int controlBytes) {
        long base = block.address();
        block.putAddress(iovecAt() + layout.iovBase(), base + dataAt);
        block.putLongLong(iovecAt() + layout.iovLen(), dataLength);
        block.putAddress(layout.msgIov(), base + iovecAt());
        putWidth(block, layout.msgIovlen(), 1);
        block.putAddress(layout.msgControl(), controlBytes == 0 ? 0L : base + controlAt());
        putWidth(block, layout.msgControllen(), controlBytes);
    }

    /** One {@code SCM_RIGHTS} message carrying {@code fds} at the start of the control buffer. */
    void rights(Pointer block, int[] fds) {
        int at = controlAt();
        putWidth(block, at + layout.cmsgLen(), layout.cmsgLength(Integer.BYTES * fds.length));
        block.putInt(at + layout.cmsgLevel(), sockets.solSocket());
        block.putInt(at + layout.cmsgType(), sockets.scmRights());
        for (int i = 0; i < fds.length; i++) {
            block.putInt(at + layout.cmsgData() + (long) Integer.BYTES * i, fds[i]);
        }
    }

    /** {@code msg_controllen} as the kernel left it after {@code recvmsg}. */
    long controlLength(Pointer block) {
        return getWidth(block, layout.msgControllen());
    }

    int flags(Pointer block) {
        return block.getInt(layout.msgFlags());
    }

    /**
     * Walks the control messages as CMSG_FIRSTHDR/CMSG_NXTHDR do and gathers the descriptors of
     * every {@code SCM_RIGHTS} one; other kinds (credentials, if someone turned them on) are
     * skipped. {@code usedBytes} is {@code msg_controllen} as the kernel left it.
     */
    int[] receivedFds(Pointer block, long usedBytes) {
        int controlAt = controlAt();
        int[] fds = new int[0];
        long offset = 0;
        while (offset + layout.cmsghdrSize() <= usedBytes) {
            long length = getWidth(block, controlAt + offset + layout.cmsgLen());
            if (length < layout.cmsgData() || offset + length > usedBytes) {
                break;
            }
            if (block.getInt(controlAt + offset + layout.cmsgLevel()) == sockets.solSocket()
                    && block.getInt(controlAt + offset + layout.cmsgType()) == sockets.scmRights()) {
                int count = (int) ((length - layout.cmsgData()) / Integer.BYTES);
                int[] more = new int[fds.length + count];
                System.arraycopy(fds, 0, more, 0, fds.length);
                for (int i = 0; i < count; i++) {
                    more[fds.length + i] = block.getInt(controlAt + offset + layout.cmsgData()
                            + (long) Integer.BYTES * i);
                }
                fds = more;
            }
            offset += layout.cmsgSpace((int) length - layout.cmsgData());
        }
        return fds;
    }

    /**
     * A {@code struct sockaddr_un} for {@code path} (NUL-terminated, already checked to fit);
     * returns the length to pass to {@code bind}/{@code connect}, which is also what a BSD
     * {@code sun_len} holds.
     */
    int unixAddress(Pointer address, byte[] path) {
        int length = 2 + path.length + 1;
        if (sockets.sunLenByte()) {
            address.putByte(0, (byte) length);
            address.putByte(1, (byte) sockets.afUnix());
        } else {
            address.putShort(0, (short) sockets.afUnix());
        }
        address.put(2, path, 0, path.length);
        address.putByte(2 + path.length, (byte) 0);
        return length;
    }

    /** {@code sizeof(struct sockaddr_un)}: the family (and length) before the path. */
    int unixAddressSize() {
        return 2 + sockets.sunPathBytes();
    }

    private void putWidth(Pointer block, long offset, long value) {
        if (layout.controlLenBytes() == Long.BYTES) {
            block.putLongLong(offset, value);
        } else {
            block.putInt(offset, (int) value);
        }
    }

    private long getWidth(Pointer block, long offset) {
        return layout.controlLenBytes() == Long.BYTES ? block.getLongLong(offset)
                : Integer.toUnsignedLong(block.getInt(offset));
    }
}
