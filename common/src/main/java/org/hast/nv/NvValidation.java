package org.hast.nv;

import java.nio.ByteBuffer;

/**
 * The §5.3 rules an nv blob must follow, checked before {@link NvMessage} indexes it and
 * before {@link NvWriter} writes a raw payload. Every violation becomes one
 * {@link NvFormatException} of reason MALFORMED whose message names the entry, its offset and,
 * once the name is known to be sound, the name.
 */
final class NvValidation {
    private NvValidation() {
    }

    /** Walks and checks every entry (§5.3), returning how many there are. */
    static int validate(ByteBuffer data) throws NvFormatException {
        int limit = data.limit();
        int off = 0;
        int count = 0;
        while (off < limit) {
            int typeByte = data.get(off) & 0xff;
            if (typeByte == 0) {
                break;
            }
            int left = limit - off;
            if (left < 8) {
                throw malformed(count, off, "only " + left + " bytes left, an entry needs"
                        + " at least 8");
            }
            int namesize = data.get(off + 1) & 0xff;
            if (namesize == 0) {
                throw malformed(count, off, "namesize is 0");
            }
            int headerSize = 6 + (int) NvWriter.roundup8(namesize);
            if (left < headerSize) {
                throw malformed(count, off, "name of namesize " + namesize
                        + " runs past the end of the blob (" + left + " bytes left)");
            }
            if (data.get(off + 6 + namesize - 1) != 0) {
                throw malformed(count, off, "name of namesize " + namesize
                        + " is not NUL-terminated");
            }
            for (int i = 0; i < namesize - 1; i++) {
                if (data.get(off + 6 + i) == 0) {
                    throw malformed(count, off, "name has a NUL at byte " + i
                            + " but namesize is " + namesize);
                }
            }
            // the name is valid from here on; it is only rendered for a message
            NvType type = NvType.fromCode(typeByte & NvType.TYPE_MASK);
            if (type == null) {
                throw malformed(count, off, data, "unknown type code "
                        + (typeByte & NvType.TYPE_MASK) + " (type byte 0x"
                        + Integer.toHexString(typeByte) + ")");
            }
            long dsize = data.getInt(off + 2) & 0xffff_ffffL;
            if (dsize == 0) {
                throw malformed(count, off, data, "dsize is 0");
            }
            long size = entrySize(namesize, dsize);
            if (left < size) {
                throw malformed(count, off, data, type.displayName() + " entry of " + size
                        + " bytes (dsize " + dsize + ") runs past the end of the blob ("
                        + left + " bytes left)");
            }
            String problem = payloadProblem(type, data, off + headerSize, (int) dsize);
            if (problem != null) {
                throw malformed(count, off, data, problem);
            }
            off += (int) size;
            count++;
        }
        return count;
    }

    /**
     * The §5.3 rule 6 check of one payload, or null when it is fine. Shared with
     * {@link NvWriter#addRaw} so that the writer cannot produce what the reader rejects.
     */
    static String payloadProblem(NvType type, ByteBuffer buf, int at, int dsize) {
        if (dsize == 0) {
            return "dsize is 0";
        }
        if (type.isScalar()) {
            if (dsize != type.elementSize()) {
                return "dsize " + dsize + " does not match " + type.displayName() + " ("
                        + type.elementSize() + (type.elementSize() == 1 ? " byte)" : " bytes)");
            }
        } else if (type.isArray()) {
            if (dsize % type.elementSize() != 0) {
                return "dsize " + dsize + " is not a multiple of the " + type.displayName()
                        + " element size " + type.elementSize();
            }
        } else {
            if (buf.get(at + dsize - 1) != 0) {
                return "string of dsize " + dsize + " is not NUL-terminated";
            }
            for (int i = 0; i < dsize - 1; i++) {
                if (buf.get(at + i) == 0) {
                    return "string of dsize " + dsize + " has a NUL at byte " + i;
                }
            }
        }
        return null;
    }

    static long entrySize(int namesize, long dsize) {
        return 6 + NvWriter.roundup8(namesize) + NvWriter.roundup8(dsize);
    }

    private static NvFormatException malformed(int entry, int off, String what) {
        return new NvFormatException(NvFormatException.Reason.MALFORMED, "nv entry " + entry
                + " at offset " + off + ": " + what);
    }

    /** For an entry whose name has been validated: the message names it. */
    private static NvFormatException malformed(int entry, int off, ByteBuffer data,
            String what) {
        int namesize = data.get(off + 1) & 0xff;
        return new NvFormatException(NvFormatException.Reason.MALFORMED, "nv entry " + entry
                + " at offset " + off + " (" + quotedName(data, off, namesize) + "): " + what);
    }

    /** The name in single quotes, bytes outside printable ASCII shown as \xNN. */
    private static String quotedName(ByteBuffer data, int off, int namesize) {
        StringBuilder sb = new StringBuilder(namesize + 2).append('\'');
        for (int i = 0; i < namesize - 1; i++) {
            int b = data.get(off + 6 + i) & 0xff;
            if (b >= 0x20 && b < 0x7f && b != '\\' && b != '\'') {
                sb.append((char) b);
            } else {
                sb.append(String.format("\\x%02x", b));
            }
        }
        return sb.append('\'').toString();
    }
}
