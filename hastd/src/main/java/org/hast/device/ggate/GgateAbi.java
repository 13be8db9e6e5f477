package org.hast.device.ggate;

/**
 * FreeBSD's GEOM Gate control interface ({@code sys/geom/gate/g_gate.h}, LP64: amd64 and arm64
 * agree) as the bridge uses it: the ioctl numbers, the constants, and the offsets of the five
 * control structures. Written by hand; {@code GgateAbiTest} compares every number with the
 * compiler-made tables in {@code shared/vectors/freebsd-abi/}.
 */
public final class GgateAbi {
    public static final String CONTROL_DEVICE = "/dev/ggctl";
    public static final int VERSION = 3;
    public static final int UNIT_AUTO = -1;
    public static final int NAME_GIVEN = -2;
    /** {@code NAME_MAX}: the size of every {@code gctl_name}/{@code gctl_readprov} array. */
    public static final int NAME_BYTES = 255;
    public static final int INFO_BYTES = 2048;
    /** Requests the kernel queues by default ({@code gctl_maxcount} 0). */
    public static final int MAX_QUEUE_SIZE = 4096;

    public static final int BIO_READ = 1;
    public static final int BIO_WRITE = 2;
    public static final int BIO_DELETE = 3;
    public static final int BIO_GETATTR = 4;
    public static final int BIO_FLUSH = 5;

    /** {@code MAXPHYS} on LP64 FreeBSD 13 and later (128 KiB on 12.x): the largest request. */
    public static final int MAXPHYS = 1 << 20;

    /** {@code _IOWR('m', n, struct ...)}. */
    public static final long CMD_CREATE = 0xCA306D00L;
    public static final long CMD_MODIFY = 0xC9206D01L;
    public static final long CMD_DESTROY = 0xC10C6D02L;
    public static final long CMD_CANCEL = 0xC1106D03L;
    public static final long CMD_START = 0xC0386D04L;
    public static final long CMD_DONE = 0xC0386D05L;

    /** FreeBSD errno values the kernel side puts in {@code gctl_error} or returns. */
    public static final int ENXIO = 6;
    public static final int ENOMEM = 12;
    public static final int EEXIST = 17;
    public static final int EAGAIN = 35;
    public static final int EOPNOTSUPP = 45;
    public static final int ECANCELED = 85;

    /** {@code struct g_gate_ctl_create}. */
    public static final class Create {
        public static final int SIZE = 2608;
        public static final int VERSION = 0;
        public static final int MEDIASIZE = 8;
        public static final int SECTORSIZE = 16;
        public static final int FLAGS = 20;
        public static final int MAXCOUNT = 24;
        public static final int TIMEOUT = 28;
        public static final int NAME = 32;
        public static final int INFO = 287;
        public static final int READPROV = 2335;
        public static final int READOFFSET = 2592;
        public static final int UNIT = 2600;

        private Create() {
        }
    }

    /** {@code struct g_gate_ctl_destroy}. */
    public static final class Destroy {
        public static final int SIZE = 268;
        public static final int VERSION = 0;
        public static final int UNIT = 4;
        public static final int FORCE = 8;
        public static final int NAME = 12;

        private Destroy() {
        }
    }

    /** {@code struct g_gate_ctl_cancel}. */
    public static final class Cancel {
        public static final int SIZE = 272;
        public static final int VERSION = 0;
        public static final int UNIT = 4;
        public static final int SEQ = 8;
        public static final int NAME = 16;

        private Cancel() {
        }
    }

    /** {@code struct g_gate_ctl_io}, used by START and DONE. */
    public static final class Io {
        public static final int SIZE = 56;
        public static final int VERSION = 0;
        public static final int UNIT = 4;
        public static final int SEQ = 8;
        public static final int CMD = 16;
        public static final int OFFSET = 24;
        public static final int LENGTH = 32;
        public static final int DATA = 40;
        public static final int ERROR = 48;

        private Io() {
        }
    }

    private GgateAbi() {
    }
}
