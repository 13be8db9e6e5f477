package org.hast.proto;

/**
 * errno values on the replication wire are FreeBSD's (the reference puts its own errno in a
 * reply's {@code error} field), while this daemon works with Linux numbers. Every value is
 * translated at the boundary: {@link #toWire} when a reply is written, {@link #fromWire} when
 * one is read.
 *
 * <p>The pairs are the errno names both systems define (FreeBSD 15 {@code sys/errno.h},
 * Linux 6.1 uapi). 1-34 are equal except EDEADLK; from 35 on nearly everything differs. A
 * value with no counterpart on the other side (FreeBSD's EFTYPE, EAUTH, ENOATTR, EINTEGRITY,
 * the RPC errors, ...; Linux's ENODATA, EREMOTEIO, ENOMEDIUM, ...), a negative one, or one out
 * of range becomes {@link #EIO}: the receiver only learns that the request failed.
 */
public final class WireErrno {
    /** The same number on both systems, and the answer for anything without a counterpart. */
    public static final int EIO = 5;

    /** Linux errno values run to 133 (EHWPOISON); FreeBSD's to 97 (EINTEGRITY). */
    private static final int[] LINUX_TO_FREEBSD = new int[134];
    private static final int[] FREEBSD_TO_LINUX = new int[98];

    static {
        for (int same = 1; same <= 34; same++) {
            if (same != 11) { // EAGAIN on Linux, EDEADLK on FreeBSD
                pair(same, same);
            }
        }
        pair(35, 11);   // EDEADLK
        pair(11, 35);   // EAGAIN, EWOULDBLOCK
        pair(115, 36);  // EINPROGRESS
        pair(114, 37);  // EALREADY
        pair(88, 38);   // ENOTSOCK
        pair(89, 39);   // EDESTADDRREQ
        pair(90, 40);   // EMSGSIZE
        pair(91, 41);   // EPROTOTYPE
        pair(92, 42);   // ENOPROTOOPT
        pair(93, 43);   // EPROTONOSUPPORT
        pair(94, 44);   // ESOCKTNOSUPPORT
        pair(95, 45);   // EOPNOTSUPP, ENOTSUP
        pair(96, 46);   // EPFNOSUPPORT
        pair(97, 47);   // EAFNOSUPPORT
        pair(98, 48);   // EADDRINUSE
        pair(99, 49);   // EADDRNOTAVAIL
        pair(100, 50);  // ENETDOWN
        pair(101, 51);  // ENETUNREACH
        pair(102, 52);  // ENETRESET
        pair(103, 53);  // ECONNABORTED
        pair(104, 54);  // ECONNRESET
        pair(105, 55);  // ENOBUFS
        pair(106, 56);  // EISCONN
        pair(107, 57);  // ENOTCONN
        pair(108, 58);  // ESHUTDOWN
        pair(109, 59);  // ETOOMANYREFS
        pair(110, 60);  // ETIMEDOUT
        pair(111, 61);  // ECONNREFUSED
        pair(40, 62);   // ELOOP
        pair(36, 63);   // ENAMETOOLONG
        pair(112, 64);  // EHOSTDOWN
        pair(113, 65);  // EHOSTUNREACH
        pair(39, 66);   // ENOTEMPTY
        pair(87, 68);   // EUSERS
        pair(122, 69);  // EDQUOT
        pair(116, 70);  // ESTALE
        pair(66, 71);   // EREMOTE
        pair(37, 77);   // ENOLCK
        pair(38, 78);   // ENOSYS
        pair(43, 82);   // EIDRM
        pair(42, 83);   // ENOMSG
        pair(75, 84);   // EOVERFLOW
        pair(125, 85);  // ECANCELED
        pair(84, 86);   // EILSEQ
        pair(74, 89);   // EBADMSG
        pair(72, 90);   // EMULTIHOP
        pair(67, 91);   // ENOLINK
        pair(71, 92);   // EPROTO
        pair(131, 95);  // ENOTRECOVERABLE
        pair(130, 96);  // EOWNERDEAD
    }

    private WireErrno() {
    }

    private static void pair(int linux, int freebsd) {
        LINUX_TO_FREEBSD[linux] = freebsd;
        FREEBSD_TO_LINUX[freebsd] = linux;
    }

    /** The FreeBSD number for a Linux errno; 0 stays 0, anything without a counterpart is EIO. */
    public static int toWire(int linuxErrno) {
        return translate(LINUX_TO_FREEBSD, linuxErrno);
    }

    /** The Linux number for a FreeBSD errno from the wire; 0 stays 0, unknown values are EIO. */
    public static int fromWire(int freebsdErrno) {
        return translate(FREEBSD_TO_LINUX, freebsdErrno);
    }

    private static int translate(int[] table, int errno) {
        if (errno == 0) {
            return 0;
        }
        if (errno > 0 && errno < table.length && table[errno] != 0) {
            return table[errno];
        }
        return EIO;
    }
}
