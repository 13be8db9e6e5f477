package org.hast.platform.linux;

import java.util.Optional;
import java.util.OptionalLong;

import org.hast.platform.DiskIoctls;
import org.hast.platform.FileFlags;
import org.hast.platform.MessageLayout;
import org.hast.platform.PeerCredentialLayout;
import org.hast.platform.Platform;
import org.hast.platform.SignalNumbers;
import org.hast.platform.SocketConstants;
import org.hast.sys.FdPassing;
import org.hast.sys.LibC;
import org.hast.sys.RawUnixSocket;
import org.hast.sys.SocketLibC;

/**
 * Linux (glibc, LP64): the numbers today's native code in {@code org.hast.sys} was written with,
 * gathered here so that callers and tests see them beside FreeBSD's. The native code keeps
 * its own constants; this class refers to them rather than repeating them.
 */
public final class LinuxPlatform implements Platform {
    /** O_DIRECT and O_DSYNC as asm-generic and x86 number them (arm64 differs for O_DIRECT). */
    private static final int O_DIRECT_X86_64 = 0x4000;
    private static final int O_DIRECT_AARCH64 = 0x10000;
    private static final int O_DSYNC = 0x1000;

    private final int oDirect;

    private LinuxPlatform(int oDirect) {
        this.oDirect = oDirect;
    }

    /** Linux on {@code os.arch} ({@code amd64}/{@code x86_64} or {@code aarch64}). */
    public static LinuxPlatform forArch(String osArch) {
        return new LinuxPlatform(osArch.equals("aarch64") ? O_DIRECT_AARCH64 : O_DIRECT_X86_64);
    }

    @Override
    public String name() {
        return "linux";
    }

    @Override
    public int toNativeErrno(int internalErrno) {
        return internalErrno;
    }

    @Override
    public int fromNativeErrno(int nativeErrno) {
        return nativeErrno;
    }

    @Override
    public SignalNumbers signals() {
        return new SignalNumbers(1, 2, 3, 9, 13, 15, 17, 10, 12);
    }

    @Override
    public SocketConstants sockets() {
        return new SocketConstants(SocketLibC.AF_UNIX, SocketLibC.SOCK_STREAM, SocketLibC.SOCK_SEQPACKET,
                SocketLibC.SOCK_CLOEXEC, SocketLibC.O_NONBLOCK, SocketLibC.SOL_SOCKET, SocketLibC.SO_TYPE,
                SocketLibC.SO_DOMAIN, SocketLibC.SCM_RIGHTS, SocketLibC.MSG_TRUNC, SocketLibC.MSG_CTRUNC,
                SocketLibC.MSG_DONTWAIT, SocketLibC.MSG_NOSIGNAL, SocketLibC.MSG_CMSG_CLOEXEC, SocketLibC.SHUT_RDWR,
                RawUnixSocket.SUN_PATH_BYTES);
    }

    @Override
    public MessageLayout messages() {
        return new MessageLayout(FdPassing.MSGHDR_SIZE, FdPassing.MSG_NAME, FdPassing.MSG_NAMELEN, FdPassing.MSG_IOV,
                FdPassing.MSG_IOVLEN, FdPassing.MSG_CONTROL, FdPassing.MSG_CONTROLLEN, FdPassing.MSG_FLAGS, 8,
                FdPassing.IOVEC_SIZE, FdPassing.IOV_BASE, FdPassing.IOV_LEN, FdPassing.CMSGHDR_SIZE,
                FdPassing.CMSG_LEN_FIELD, FdPassing.CMSG_LEVEL, FdPassing.CMSG_TYPE, 8);
    }

    @Override
    public PeerCredentialLayout peerCredentials() {
        // struct ucred: pid @0, uid @4, gid @8; no version field.
        return new PeerCredentialLayout(SocketLibC.SOL_SOCKET, SocketLibC.SO_PEERCRED, RawUnixSocket.UCRED_SIZE, 4, 0,
                -1, 0);
    }

    @Override
    public FileFlags files() {
        return new FileFlags(LibC.O_RDONLY, LibC.O_RDWR, SocketLibC.O_NONBLOCK, LibC.O_CLOEXEC, oDirect, O_DSYNC,
                LibC.LOCK_EX, LibC.LOCK_NB, LibC.LOCK_UN);
    }

    @Override
    public DiskIoctls disks() {
        return new DiskIoctls(LibC.BLKGETSIZE64, LibC.BLKSSZGET, DiskIoctls.NONE, LibC.BLKDISCARD, false);
    }

    @Override
    public void setProcessTitle(String title) {
        // The worker's command line already reads "hastd: <name> (<role>)" (ps shows argv).
    }

    @Override
    public Optional<String> hostUuid() {
        return Optional.empty(); // NodeIdentity reads /etc/machine-id and DMI itself
    }

    @Override
    public OptionalLong hostId() {
        return OptionalLong.empty(); // NodeIdentity reads /etc/hostid itself
    }
}
