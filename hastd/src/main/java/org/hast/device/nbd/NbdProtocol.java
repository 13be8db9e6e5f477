package org.hast.device.nbd;

/**
 * Numbers of the NBD protocol (doc/proto.md, shared/spec/nbd.md §5.2). All integers on the
 * wire are big-endian; the 32-bit ones here are compared as unsigned where the spec says so.
 */
public final class NbdProtocol {
    private NbdProtocol() {
    }

    /** The default TCP port of NBD (IANA), used when an {@code export tcp://} has none. */
    public static final int DEFAULT_PORT = 10809;

    // --- Handshake -----------------------------------------------------------------------
    public static final long NBDMAGIC = 0x4e42444d41474943L;
    public static final long IHAVEOPT = 0x49484156454F5054L;
    public static final long OPTION_REPLY_MAGIC = 0x3e889045565a9L;

    /** Handshake flags (server to client, 16 bits). */
    public static final int FLAG_FIXED_NEWSTYLE = 1;
    public static final int FLAG_NO_ZEROES = 1 << 1;

    /** Client flags (32 bits); any other bit makes the server drop the connection. */
    public static final int CLIENT_FIXED_NEWSTYLE = 1;
    public static final int CLIENT_NO_ZEROES = 1 << 1;
    public static final int CLIENT_KNOWN_FLAGS = CLIENT_FIXED_NEWSTYLE | CLIENT_NO_ZEROES;

    public static final int OPT_EXPORT_NAME = 1;
    public static final int OPT_ABORT = 2;
    public static final int OPT_LIST = 3;
    public static final int OPT_STARTTLS = 5;
    public static final int OPT_INFO = 6;
    public static final int OPT_GO = 7;
    public static final int OPT_STRUCTURED_REPLY = 8;
    public static final int OPT_LIST_META_CONTEXT = 9;
    public static final int OPT_SET_META_CONTEXT = 10;
    public static final int OPT_EXTENDED_HEADERS = 11;

    public static final int REP_ACK = 1;
    public static final int REP_SERVER = 2;
    public static final int REP_INFO = 3;
    private static final int REP_ERR = 1 << 31;
    public static final int REP_ERR_UNSUP = REP_ERR + 1;
    public static final int REP_ERR_POLICY = REP_ERR + 2;
    public static final int REP_ERR_INVALID = REP_ERR + 3;
    public static final int REP_ERR_PLATFORM = REP_ERR + 4;
    public static final int REP_ERR_TLS_REQD = REP_ERR + 5;
    public static final int REP_ERR_UNKNOWN = REP_ERR + 6;
    public static final int REP_ERR_SHUTDOWN = REP_ERR + 7;
    public static final int REP_ERR_BLOCK_SIZE_REQD = REP_ERR + 8;
    public static final int REP_ERR_TOO_BIG = REP_ERR + 9;

    public static final int INFO_EXPORT = 0;
    public static final int INFO_NAME = 1;
    public static final int INFO_DESCRIPTION = 2;
    public static final int INFO_BLOCK_SIZE = 3;

    /** Bytes of zeros after the EXPORT_NAME reply unless NO_ZEROES was agreed. */
    public static final int EXPORT_NAME_ZERO_PAD = 124;

    // --- Transmission flags (16 bits) ------------------------------------------------------
    public static final int TFLAG_HAS_FLAGS = 1;
    public static final int TFLAG_READ_ONLY = 1 << 1;
    public static final int TFLAG_SEND_FLUSH = 1 << 2;
    public static final int TFLAG_SEND_FUA = 1 << 3;
    public static final int TFLAG_ROTATIONAL = 1 << 4;
    public static final int TFLAG_SEND_TRIM = 1 << 5;
    public static final int TFLAG_SEND_WRITE_ZEROES = 1 << 6;
    public static final int TFLAG_SEND_DF = 1 << 7;
    public static final int TFLAG_CAN_MULTI_CONN = 1 << 8;
    public static final int TFLAG_SEND_CACHE = 1 << 10;
    public static final int TFLAG_SEND_FAST_ZERO = 1 << 11;

    // --- Requests and replies --------------------------------------------------------------
    public static final int REQUEST_MAGIC = 0x25609513;
    public static final int SIMPLE_REPLY_MAGIC = 0x67446698;
    /** magic 4 + flags 2 + type 2 + cookie 8 + offset 8 + length 4. */
    public static final int REQUEST_HEADER_BYTES = 28;
    /** magic 4 + error 4 + cookie 8. */
    public static final int SIMPLE_REPLY_BYTES = 16;

    public static final int CMD_READ = 0;
    public static final int CMD_WRITE = 1;
    public static final int CMD_DISC = 2;
    public static final int CMD_FLUSH = 3;
    public static final int CMD_TRIM = 4;
    public static final int CMD_CACHE = 5;
    public static final int CMD_WRITE_ZEROES = 6;
    public static final int CMD_BLOCK_STATUS = 7;

    public static final int CMD_FLAG_FUA = 1;
    public static final int CMD_FLAG_NO_HOLE = 1 << 1;
    public static final int CMD_FLAG_DF = 1 << 2;
    public static final int CMD_FLAG_REQ_ONE = 1 << 3;
    public static final int CMD_FLAG_FAST_ZERO = 1 << 4;

    // --- Errors (the only values the spec allows on the wire) -------------------------------
    public static final int EPERM = 1;
    public static final int EIO = 5;
    public static final int ENOMEM = 12;
    public static final int EINVAL = 22;
    public static final int ENOSPC = 28;
    public static final int EOVERFLOW = 75;
    public static final int ENOTSUP = 95;
    public static final int ESHUTDOWN = 108;

    // --- Our limits -------------------------------------------------------------------------
    /** The largest READ or WRITE accepted (and advertised as the maximum block size). */
    public static final int MAX_PAYLOAD_BYTES = 32 << 20;
    /** Option data beyond this gets ERR_TOO_BIG (names are at most 4096 bytes by the spec). */
    public static final int MAX_OPTION_BYTES = 8192;
    /** Advertised block sizes: at least the backend's sector size; 4 KiB is what it likes best. */
    public static final int MIN_BLOCK_SIZE = 1;
    public static final int PREFERRED_BLOCK_SIZE = 4096;

    /**
     * The errno to put on the wire: the backend's value when the spec lists it, else EIO
     * (the spec restricts the error field to its list so that clients on any OS read it).
     */
    public static int wireErrno(int errno) {
        switch (errno) {
            case 0:
            case EPERM:
            case EIO:
            case ENOMEM:
            case EINVAL:
            case ENOSPC:
            case EOVERFLOW:
            case ENOTSUP:
            case ESHUTDOWN:
                return errno;
            case 122: // EDQUOT: the spec says map to ENOSPC
            case 27: // EFBIG
                return ENOSPC;
            default:
                return EIO;
        }
    }

    /** A command's name for log lines. */
    static String commandName(int type) {
        switch (type) {
            case CMD_READ:
                return "READ";
            case CMD_WRITE:
                return "WRITE";
            case CMD_DISC:
                return "DISC";
            case CMD_FLUSH:
                return "FLUSH";
            case CMD_TRIM:
                return "TRIM";
            case CMD_CACHE:
                return "CACHE";
            case CMD_WRITE_ZEROES:
                return "WRITE_ZEROES";
            case CMD_BLOCK_STATUS:
                return "BLOCK_STATUS";
            default:
                return "command " + type;
        }
    }
}
