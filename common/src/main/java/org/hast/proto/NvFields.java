package org.hast.proto;

import org.hast.nv.NvMessage;
import org.hast.nv.NvType;

/**
 * Strict field reads shared by the message readers of this package. The reference reads most
 * fields leniently (missing → 0, §5.4); where a reader here is stricter, it is for fields every
 * sender writes, so no peer can tell the difference, and the message says which field failed.
 */
final class NvFields {
    private NvFields() {
    }

    /**
     * A scalar that must exist with exactly this type; the first entry with the name counts.
     *
     * @return the value as {@link NvMessage#longAt} reads it
     * @throws ProtocolException "Header has no 'x' field." or "Header field 'x' is T, expected U."
     */
    static long requireScalar(NvMessage nv, NvType type, String name) throws ProtocolException {
        int i = nv.indexOf(name);
        if (i < 0) {
            throw new ProtocolException("Header has no '" + name + "' field.");
        }
        NvType actual = nv.typeAt(i);
        if (actual != type) {
            throw new ProtocolException("Header field '" + name + "' is "
                    + actual.displayName() + ", expected " + type.displayName() + ".");
        }
        return nv.longAt(i);
    }
}
