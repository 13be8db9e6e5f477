package org.hast.meta;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.hast.nv.NvFormatException;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.hast.proto.Role;

/**
 * Metadata to and from the 4096-byte area at offset 0 of a provider (spec §6.1). Pure: the
 * caller does the {@code pread}/{@code pwrite} and the locking.
 */
public final class MetadataCodec {
    /** {@code METADATA_SIZE}: bytes reserved at the start of every provider. */
    public static final int METADATA_SIZE = 4096;

    private MetadataCodec() {
    }

    /**
     * The nine fields, in the reference's order, zero padded to exactly {@link #METADATA_SIZE}
     * bytes (a new little-endian heap buffer positioned at 0).
     *
     * @throws IllegalArgumentException if the fields do not fit (a resource name of some
     *         3900 bytes; the reference asserts the same) or the name contains NUL
     */
    public static ByteBuffer encode(Metadata md) {
        NvWriter nv = new NvWriter(256)
                .addString("resource", md.resource())
                .addUint64("datasize", md.dataSize())
                .addUint32("extentsize", Integer.toUnsignedLong(md.extentSize()))
                .addUint32("keepdirty", Integer.toUnsignedLong(md.keepDirty()))
                .addUint64("offset", md.localOff())
                .addUint64("resuid", md.resUid())
                .addUint64("localcnt", md.localCnt())
                .addUint64("remotecnt", md.remoteCnt())
                .addString("prevrole", md.prevRole().displayName());
        if (nv.encodedSize() >= METADATA_SIZE) {
            throw new IllegalArgumentException("metadata of " + nv.encodedSize()
                    + " bytes does not fit in " + METADATA_SIZE);
        }
        ByteBuffer area = ByteBuffer.allocate(METADATA_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        nv.encodeTo(area);
        return area.clear();
    }

    /**
     * Reads the metadata from the first {@link #METADATA_SIZE} bytes at {@code area}'s
     * position, without moving it, with the reference's checks and messages in its order:
     * short area, nv validity, resource name (only when the field is a string; a missing or
     * mistyped one falls through to the field check), then all nine fields with their exact
     * types. A {@code prevrole} other than {@code primary} or {@code secondary} reads as INIT.
     *
     * @param expectedResource the configured resource name, or null to accept any
     * @param providerPath     the provider's path, for the messages
     */
    public static Metadata decode(ByteBuffer area, String expectedResource, String providerPath)
            throws MetadataException {
        if (area.remaining() < METADATA_SIZE) {
            throw new MetadataException(MetadataException.Kind.SHORT_READ,
                    "Unable to read metadata", null);
        }
        NvMessage nv;
        try {
            nv = NvMessage.decode(area.slice(area.position(), METADATA_SIZE));
        } catch (NvFormatException e) {
            throw new MetadataException(MetadataException.Kind.INVALID,
                    "Metadata read from " + providerPath + " is invalid", e);
        }
        String resource = nv.getString("resource");
        if (resource != null && expectedResource != null && !resource.equals(expectedResource)) {
            throw new MetadataException(MetadataException.Kind.WRONG_RESOURCE, "Provider "
                    + providerPath + " is not part of resource " + expectedResource + ".", null);
        }
        try {
            String name = nv.requireString("resource");
            long dataSize = nv.requireUint64("datasize");
            int extentSize = (int) nv.requireUint32("extentsize");
            int keepDirty = (int) nv.requireUint32("keepdirty");
            long localOff = nv.requireUint64("offset");
            long resUid = nv.requireUint64("resuid");
            long localCnt = nv.requireUint64("localcnt");
            long remoteCnt = nv.requireUint64("remotecnt");
            String prevRole = nv.requireString("prevrole");
            return new Metadata(name, dataSize, extentSize, keepDirty, localOff, resUid,
                    localCnt, remoteCnt, previousRole(prevRole));
        } catch (NvFormatException e) {
            throw new MetadataException(MetadataException.Kind.BAD_FIELD,
                    "Unable to read metadata from " + providerPath, e);
        }
    }

    private static Role previousRole(String name) {
        if (Role.PRIMARY.displayName().equals(name)) {
            return Role.PRIMARY;
        }
        if (Role.SECONDARY.displayName().equals(name)) {
            return Role.SECONDARY;
        }
        return Role.INIT;
    }
}
