package org.hast.proto;

import java.util.Objects;

import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;

/**
 * Handshake step 1 (spec §4.3): the first message the primary sends on its <b>out</b>
 * connection, {@code {resource: string, version: uint8}}.
 *
 * <p>The secondary's parent reads one header without knowing which connection of the pair it
 * is on: a message with a {@code token} is step 2 ({@link HandshakeSecond#carriesToken}).
 * {@code version} is the highest version the primary speaks; missing or 0 means 1 (peers from
 * before version 1 did not send it), a higher one than ours is negotiated down
 * ({@link #negotiatedVersion()}, spec §3.5 step 5), not refused.
 *
 * @param resource the resource name
 * @param version  the version the primary offers, 1..255
 */
public record HandshakeFirst(String resource, int version) {
    public static final String FIELD_RESOURCE = "resource";
    public static final String FIELD_VERSION = "version";

    public HandshakeFirst {
        Objects.requireNonNull(resource, "resource");
        if (version < 1 || version > 0xff) {
            throw new IllegalArgumentException("offered version " + version + " is not 1..255");
        }
    }

    /** What this implementation sends: our {@link FrameHeader#MAX_VERSION}. */
    public static HandshakeFirst of(String resource) {
        return new HandshakeFirst(resource, FrameHeader.MAX_VERSION);
    }

    /** {@code min(offered, 2)}: the version the secondary stores and answers with. */
    public int negotiatedVersion() {
        return Math.min(version, FrameHeader.MAX_VERSION);
    }

    /** {@code resource}, {@code version}: the reference's order. */
    public NvWriter toNv() {
        return new NvWriter(64)
                .addString(FIELD_RESOURCE, resource)
                .addUint8(FIELD_VERSION, version);
    }

    /**
     * Reads step 1 as the secondary's parent does (spec §3.5 step 3): {@code resource} must be
     * a string; {@code version} missing, 0 or of another type counts as 1.
     *
     * @throws ProtocolException when {@code resource} is missing or not a string
     */
    public static HandshakeFirst fromNv(NvMessage nv) throws ProtocolException {
        String resource = nv.getString(FIELD_RESOURCE);
        if (resource == null) {
            throw new ProtocolException("No 'resource' field in the header.");
        }
        int version = nv.getUint8(FIELD_VERSION);
        return new HandshakeFirst(resource, version == 0 ? 1 : version);
    }
}
