package org.hast.secondary;

import org.hast.proto.PayloadFields;
import org.hast.proto.RequestHeader;

import io.netty.buffer.ByteBuf;

/**
 * One request on its way from the receive thread to the disk thread (spec §11.7). A WRITE's
 * {@code payloadFields} are null when its payload is the data itself (no compression, no
 * checksum).
 */
record SecondaryRequest(RequestHeader header, PayloadFields payloadFields, ByteBuf payload, int error) {
    void release() {
        if (payload != null) {
            payload.release();
        }
    }
}
