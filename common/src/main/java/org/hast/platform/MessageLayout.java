package org.hast.platform;

/**
 * {@code struct msghdr}, {@code struct iovec} and {@code struct cmsghdr} as {@code sendmsg} and
 * {@code recvmsg} see them (SCM_RIGHTS descriptor passing). On FreeBSD {@code msg_iovlen},
 * {@code msg_controllen} and {@code cmsg_len} are 4 bytes and the cmsghdr 12; the data still
 * starts at 16 on both because {@code CMSG_DATA} aligns to the pointer size.
 *
 * @param controlLenBytes size of {@code msg_iovlen}, {@code msg_controllen} and {@code cmsg_len}
 *                        (they are the same width on each system)
 * @param cmsgAlign       the alignment {@code CMSG_DATA}/{@code CMSG_SPACE} round to
 */
public record MessageLayout(int msghdrSize, int msgName, int msgNamelen, int msgIov, int msgIovlen, int msgControl,
        int msgControllen, int msgFlags, int controlLenBytes, int iovecSize, int iovBase, int iovLen,
        int cmsghdrSize, int cmsgLen, int cmsgLevel, int cmsgType, int cmsgAlign) {

    private int align(int n) {
        return (n + cmsgAlign - 1) & -cmsgAlign;
    }

    /** {@code CMSG_DATA(cmsg) - cmsg}: where the payload starts. */
    public int cmsgData() {
        return align(cmsghdrSize);
    }

    /** {@code CMSG_LEN(n)}: the value of {@code cmsg_len} for an n-byte payload. */
    public int cmsgLength(int payloadBytes) {
        return cmsgData() + payloadBytes;
    }

    /** {@code CMSG_SPACE(n)}: the room one n-byte control message takes in the buffer. */
    public int cmsgSpace(int payloadBytes) {
        return cmsgData() + align(payloadBytes);
    }
}
