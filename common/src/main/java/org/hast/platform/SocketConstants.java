package org.hast.platform;

/**
 * Socket numbers the Unix-socket code passes to {@code socket}, {@code getsockopt},
 * {@code sendmsg} and {@code recvmsg}. {@code SOL_SOCKET} itself differs (1 vs 0xFFFF), and so
 * does nearly every flag.
 */
public record SocketConstants(int afUnix, int sockStream, int sockSeqpacket, int sockCloexec, int sockNonblock,
        int solSocket, int soType, int soDomain, int scmRights, int msgTrunc, int msgCtrunc, int msgDontwait,
        int msgNosignal, int msgCmsgCloexec, int shutRdwr, int sunPathBytes) {
}
