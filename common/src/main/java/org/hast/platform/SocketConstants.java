package org.hast.platform;

/**
 * Socket numbers the Unix-socket code passes to {@code socket}, {@code getsockopt},
 * {@code sendmsg} and {@code recvmsg}. {@code SOL_SOCKET} itself differs (1 vs 0xFFFF), and so
 * does nearly every flag.
 *
 * @param sunLenByte true where {@code struct sockaddr_un} starts with a one-byte {@code sun_len}
 *                   and a one-byte family (the BSDs); false where the family is two bytes at 0
 */
public record SocketConstants(int afUnix, int sockStream, int sockSeqpacket, int sockCloexec, int sockNonblock,
        int solSocket, int soType, int soDomain, int scmRights, int msgTrunc, int msgCtrunc, int msgDontwait,
        int msgNosignal, int msgCmsgCloexec, int shutRdwr, int sunPathBytes, int afInet, int afInet6,
        boolean sunLenByte, int ipprotoIpv6, int ipv6V6only) {
}
