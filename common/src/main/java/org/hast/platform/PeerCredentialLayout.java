package org.hast.platform;

/**
 * How to ask a connected Unix socket who is on the other end: Linux's
 * {@code getsockopt(SOL_SOCKET, SO_PEERCRED, struct ucred)} or FreeBSD's
 * {@code getsockopt(SOL_LOCAL, LOCAL_PEERCRED, struct xucred)}, whose {@code cr_version} must be
 * {@code XUCRED_VERSION}.
 *
 * @param versionOffset where {@code cr_version} is, or -1 when the structure has none
 * @param pidOffset     where the peer's pid is, or -1 when the structure has none
 */
public record PeerCredentialLayout(int level, int option, int size, int uidOffset, int pidOffset,
        int versionOffset, int expectedVersion) {
}
