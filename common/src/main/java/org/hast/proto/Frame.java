package org.hast.proto;

import org.hast.nv.NvMessage;

/**
 * One received HAST message without its payload: the header's version and the decoded nv.
 *
 * @param version the header's version byte
 * @param nv      the decoded nv blob
 */
public record Frame(int version, NvMessage nv) {
    /**
     * Payload bytes that follow the nv on the stream: the {@code size} uint32 field, 0 when it
     * is missing or of another type (spec §4.1, {@code hast_proto_recv_data}).
     */
    public long payloadSize() {
        return nv.getUint32("size");
    }
}
