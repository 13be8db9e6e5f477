package org.hast.platform.freebsd;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.OptionalLong;

import org.hast.platform.DiskIoctls;
import org.hast.platform.FileFlags;
import org.hast.platform.MessageLayout;
import org.hast.platform.PeerCredentialLayout;
import org.hast.platform.Platform;
import org.hast.platform.SignalNumbers;
import org.hast.platform.SocketConstants;
import org.hast.proto.WireErrno;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * FreeBSD 13 and later on LP64 (amd64, arm64; on 12.x {@code LOCAL_PEERCRED} has no pid, so
 * workers are refused): every number was checked against the compiler-made tables of
 * {@code shared/vectors/freebsd-abi/} ({@code PlatformAbiTest}); the two
 * architectures agree on all of them. Nothing here has run on FreeBSD yet (docs/freebsd.md).
 */
public final class FreeBsdPlatform implements Platform {
    /** {@code _IOR('d', 129, off_t)}. */
    public static final long DIOCGMEDIASIZE = 0x40086481L;
    /** {@code _IOR('d', 128, u_int)}. */
    public static final long DIOCGSECTORSIZE = 0x40046480L;
    /** {@code _IO('d', 135)}. */
    public static final long DIOCGFLUSH = 0x20006487L;
    /** {@code _IOW('d', 136, off_t[2])}: {offset, length}. */
    public static final long DIOCGDELETE = 0x80106488L;

    /** {@code SOL_LOCAL}, {@code LOCAL_PEERCRED}, {@code struct xucred} and XUCRED_VERSION. */
    static final int SOL_LOCAL = 0;
    static final int LOCAL_PEERCRED = 1;
    static final int XUCRED_SIZE = 88;
    static final int XUCRED_VERSION = 0;
    static final int XUCRED_CR_VERSION = 0;
    static final int XUCRED_CR_UID = 4;
    /** {@code cr_pid}, filled since FreeBSD 13 (a reserved field before). */
    static final int XUCRED_CR_PID = 80;

    /** {@code MAXHOSTNAMELEN}: the buffer the reference reads {@code kern.hostuuid} into. */
    static final int MAXHOSTNAMELEN = 256;

    @Override
    public String name() {
        return "freebsd";
    }

    @Override
    public int toNativeErrno(int internalErrno) {
        return WireErrno.toWire(internalErrno);
    }

    @Override
    public int fromNativeErrno(int nativeErrno) {
        return WireErrno.fromWire(nativeErrno);
    }

    @Override
    public SignalNumbers signals() {
        return new SignalNumbers(1, 2, 3, 9, 13, 15, 20, 30, 31);
    }

    @Override
    public SocketConstants sockets() {
        return new SocketConstants(1, 1, 5, 0x10000000, 0x20000000, 0xFFFF, 0x1008, 0x1019, 1, 0x10, 0x20, 0x80,
                0x20000, 0x40000, 2, 104, 2, 28, true, 41, 27);
    }

    @Override
    public MessageLayout messages() {
        // msghdr: iovlen and controllen are 4 bytes, flags @44, size 48; cmsghdr 12 bytes, align 4,
        // but CMSG_DATA/CMSG_SPACE round to _ALIGNBYTES + 1 = 8.
        return new MessageLayout(48, 0, 8, 16, 24, 32, 40, 44, 4, 16, 0, 8, 12, 0, 4, 8, 8);
    }

    @Override
    public PeerCredentialLayout peerCredentials() {
        return new PeerCredentialLayout(SOL_LOCAL, LOCAL_PEERCRED, XUCRED_SIZE, XUCRED_CR_UID, XUCRED_CR_PID,
                XUCRED_CR_VERSION, XUCRED_VERSION);
    }

    @Override
    public FileFlags files() {
        return new FileFlags(0, 2, 4, 0x100000, 0x10000, 0x1000000, 2, 4, 8);
    }

    @Override
    public DiskIoctls disks() {
        return new DiskIoctls(DIOCGMEDIASIZE, DIOCGSECTORSIZE, DIOCGFLUSH, DIOCGDELETE, true);
    }

    @Override
    public void setProcessTitle(String title) {
        try {
            // A leading '-' keeps libc from prefixing the program name ("java: ").
            FreeBsdLibC.Holder.INSTANCE.setproctitle("-%s", title);
        } catch (LinkageError | RuntimeException e) {
            // No title then: the command line still names the worker.
        }
    }

    @Override
    public Optional<String> hostUuid() {
        byte[] value = sysctl("kern.hostuuid", MAXHOSTNAMELEN);
        if (value == null) {
            return Optional.empty();
        }
        int end = 0;
        while (end < value.length && value[end] != 0) {
            end++;
        }
        return end == 0 ? Optional.empty() : Optional.of(new String(value, 0, end, StandardCharsets.US_ASCII));
    }

    @Override
    public OptionalLong hostId() {
        byte[] value = sysctl("kern.hostid", Long.BYTES);
        if (value == null || value.length != Long.BYTES) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(java.nio.ByteBuffer.wrap(value).order(java.nio.ByteOrder.nativeOrder()).getLong());
    }

    /** The sysctl's bytes (at most {@code capacity}), or null when it cannot be read. */
    private static byte[] sysctl(String name, int capacity) {
        try {
            jnr.ffi.Runtime runtime = FreeBsdLibC.Holder.RUNTIME;
            Pointer value = Memory.allocateDirect(runtime, capacity, true);
            Pointer length = Memory.allocateDirect(runtime, Long.BYTES, true);
            length.putLong(0, capacity); // size_t is 8 bytes on LP64
            if (FreeBsdLibC.Holder.INSTANCE.sysctlbyname(name, value, length, null, 0) != 0) {
                return null;
            }
            int got = (int) Math.min(capacity, length.getLong(0));
            byte[] bytes = new byte[got];
            value.get(0, bytes, 0, got);
            return bytes;
        } catch (LinkageError | RuntimeException e) {
            return null; // an unreadable source takes no part in the identity (NodeIdentity)
        }
    }
}
