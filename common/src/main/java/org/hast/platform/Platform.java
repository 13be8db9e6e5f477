package org.hast.platform;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * What differs between the systems hastd runs on (issue #19): the numbers and structure layouts
 * of the native calls, and the few calls one system has and the other lacks. Chosen once, at
 * start-up, from {@code os.name} ({@code HostPlatform.current()}); code asks it instead of testing
 * the system itself. Tests construct either implementation directly and compare every number with the
 * compiler-made tables in {@code shared/vectors/freebsd-abi/}.
 *
 * <p>Errno values inside hastd are Linux's (the wire carries FreeBSD's, see
 * {@link org.hast.proto.WireErrno}); {@link #toNativeErrno} and {@link #fromNativeErrno} cross
 * between that internal numbering and this system's.
 */
public interface Platform {

    /** {@code linux} or {@code freebsd}. */
    String name();

    /** This system's errno for an internal (Linux-numbered) one. */
    int toNativeErrno(int internalErrno);

    /** The internal (Linux-numbered) errno for one this system's calls returned. */
    int fromNativeErrno(int nativeErrno);

    SignalNumbers signals();

    SocketConstants sockets();

    MessageLayout messages();

    PeerCredentialLayout peerCredentials();

    FileFlags files();

    DiskIoctls disks();

    /**
     * Shows {@code title} (e.g. {@code hastd: shared (primary)}) in {@code ps}, where the system
     * offers a call for it; a no-op elsewhere (the command line already says it on Linux).
     */
    void setProcessTitle(String title);

    /** The host UUID the reference's {@code isitme()} compares, if this system has one to read. */
    Optional<String> hostUuid();

    /** The host id the reference formats as {@code hostid<N>}, if this system has one to read. */
    OptionalLong hostId();
}
