package org.hast.proto;

import org.hast.nv.NvMessage;
import org.hast.nv.NvType;
import org.hast.nv.NvWriter;

/**
 * Our extensions, negotiated in the handshake without changing a byte a FreeBSD peer sees
 * unless it is offered: the primary appends {@code hastcaps} (uint32 bit set) to step 2, the
 * secondary worker answers with the bits both sides have in its reply, after {@code mapsize}.
 * The reference looks fields up by name (spec §5.4), so it ignores an extra one in both
 * messages; it never offers the field, so our side never sends it anything new.
 */
public final class Capabilities {
    public static final String FIELD = "hastcaps";
    /** {@link HioCommand#HASH}: online verify and checksum synchronisation. */
    public static final int HASHES = 1;
    /**
     * The secondary takes requests of up to {@link #LARGE_REQUEST_BYTES} (as it always has), so
     * the primary may synchronise in steps that long. Offered by every primary of ours, answered
     * by every secondary of ours; a FreeBSD peer, whose MAXPHYS may be 128 KiB, never answers
     * it and gets the reference's 128 KiB steps.
     */
    public static final int LARGE_REQUESTS = 2;
    /** MAXPHYS of FreeBSD 13 and later on 64-bit systems: 1 MiB. */
    public static final int LARGE_REQUEST_BYTES = 1 << 20;
    /** What a primary of ours offers besides the configured extensions. */
    public static final int ALWAYS_OFFERED = LARGE_REQUESTS;

    private Capabilities() {
    }

    /** Appends the field when there is something to offer; nothing at all otherwise. */
    public static NvWriter offer(NvWriter nv, int capabilities) {
        if (capabilities != 0) {
            nv.addUint32(FIELD, capabilities & 0xffff_ffffL);
        }
        return nv;
    }

    /** The capabilities a message offers: 0 when the field is absent or not a uint32. */
    public static int read(NvMessage nv) {
        return nv.typeOf(FIELD) == NvType.UINT32 ? (int) nv.getUint32(FIELD) : 0;
    }
}
