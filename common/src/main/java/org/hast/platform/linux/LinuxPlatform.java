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

/**
 * Linux (glibc, LP64): the numbers the native code in {@code org.hast.sys} uses when it runs on
 * Linux, checked against the compiler-made tables ({@code PlatformAbiTest}). x86_64 and aarch64
 * agree on all of them but {@code O_DIRECT}.
 */
public final class LinuxPlatform implements Platform {
    /** O_DIRECT and O_DSYNC as asm-generic and x86 number them (arm64 differs for O_DIRECT). */
    private static final int O_DIRECT_X86_64 = 0x4000;
    private static final int O_DIRECT_AARCH64 = 0x10000;
    private static final int O_DSYNC = 0x1000;
    private static final int O_NONBLOCK = 0x800;

    /** {@code SOL_SOCKET}, {@code SO_PEERCRED} and {@code struct ucred}: pid @0, uid @4, gid @8. */
    private static final int SOL_SOCKET = 1;
    private static final int SO_PEERCRED = 17;
    private static final int UCRED_SIZE = 12;

    /** {@code _IOR(0x12, 114, size_t)}: device size in bytes. */
    private static final long BLKGETSIZE64 = 0x80081272L;
    /** {@code _IO(0x12, 104)}: logical sector size. */
    private static final long BLKSSZGET = 0x1268L;
    /** {@code _IO(0x12, 119)}: discard a byte range, argument uint64[2] {offset, length}. */
    private static final long BLKDISCARD = 0x1277L;

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
        return new SocketConstants(1, 1, 5, 0x80000, O_NONBLOCK, SOL_SOCKET, 3, 39, 1, 0x20, 0x8, 0x40, 0x4000,
                0x40000000, 2, 108, 2, 10, false, 41, 26);
    }

    @Override
    public MessageLayout messages() {
        // glibc: msg_iovlen, msg_controllen and cmsg_len are size_t; cmsghdr is 16 bytes.
        return new MessageLayout(56, 0, 8, 16, 24, 32, 40, 48, 8, 16, 0, 8, 16, 0, 8, 12, 8);
    }

    @Override
    public PeerCredentialLayout peerCredentials() {
        // No version field in struct ucred.
        return new PeerCredentialLayout(SOL_SOCKET, SO_PEERCRED, UCRED_SIZE, 4, 0, -1, 0);
    }

    @Override
    public FileFlags files() {
        return new FileFlags(0, 2, O_NONBLOCK, 0x80000, oDirect, O_DSYNC, 2, 4, 8);
    }

    @Override
    public DiskIoctls disks() {
        return new DiskIoctls(BLKGETSIZE64, BLKSSZGET, DiskIoctls.NONE, BLKDISCARD, false);
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
