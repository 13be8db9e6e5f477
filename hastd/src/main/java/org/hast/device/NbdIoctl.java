package org.hast.device;

/**
 * The Linux NBD driver's ioctls (shared/spec/nbd.md, "Linux kernel client specifics";
 * linux:include/uapi/linux/nbd.h). Every one is {@code _IO(0xab, n)}: no size and no direction
 * bits, and an argument passed by value (an {@code unsigned long}), never a pointer.
 */
public final class NbdIoctl {
    /** The ioctl "type" byte of the NBD driver. */
    public static final int TYPE = 0xab;

    public static final long SET_SOCK = io(0);
    public static final long SET_BLKSIZE = io(1);
    public static final long SET_SIZE = io(2);
    /** Blocks until the connection ends. */
    public static final long DO_IT = io(3);
    public static final long CLEAR_SOCK = io(4);
    public static final long CLEAR_QUE = io(5);
    public static final long PRINT_DEBUG = io(6);
    public static final long SET_SIZE_BLOCKS = io(7);
    public static final long DISCONNECT = io(8);
    /** Seconds; a request older than this fails the (single) connection. */
    public static final long SET_TIMEOUT = io(9);
    /** The 16 transmission flags a handshake would have announced. */
    public static final long SET_FLAGS = io(10);

    /** The block sizes the driver accepts: a power of two from 512 to the page size. */
    public static final int MIN_BLOCK_SIZE = 512;
    public static final int MAX_BLOCK_SIZE = 4096;

    private NbdIoctl() {
    }

    /**
     * {@code _IO(type, nr)} from asm-generic/ioctl.h: direction (bits 30-31) and size (bits
     * 16-29) are zero, the type sits in bits 8-15 and the number in bits 0-7.
     */
    static long io(int nr) {
        if (nr < 0 || nr > 0xff) {
            throw new IllegalArgumentException("ioctl number out of range: " + nr);
        }
        return ((long) TYPE << 8) | nr;
    }

    /** The name of an NBD ioctl for messages, e.g. {@code NBD_SET_SOCK}. */
    public static String name(long request) {
        String[] names = {"SET_SOCK", "SET_BLKSIZE", "SET_SIZE", "DO_IT", "CLEAR_SOCK", "CLEAR_QUE",
            "PRINT_DEBUG", "SET_SIZE_BLOCKS", "DISCONNECT", "SET_TIMEOUT", "SET_FLAGS"};
        int nr = (int) (request & 0xff);
        if ((request & ~0xffL) == (long) TYPE << 8 && nr < names.length) {
            return "NBD_" + names[nr];
        }
        return "ioctl 0x" + Long.toHexString(request);
    }

    /**
     * The block size for a backend whose sector is {@code sectorSize} bytes: the sector itself,
     * raised to 512. A sector the driver cannot take (not a power of two, or above 4096) is
     * refused, because the kernel would then send requests our server rejects with EINVAL.
     */
    public static int blockSizeFor(int sectorSize) {
        if (sectorSize <= 0 || Integer.bitCount(sectorSize) != 1 || sectorSize > MAX_BLOCK_SIZE) {
            throw new IllegalArgumentException("kernel NBD needs a power-of-two sector size of at most "
                    + MAX_BLOCK_SIZE + " bytes, the backend has " + sectorSize);
        }
        return Math.max(MIN_BLOCK_SIZE, sectorSize);
    }
}
