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
