package org.hast.device.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The attributes of a received netlink message, read in place: {@link #find(int)} returns the
 * payload of the first attribute of a type (the {@link NetlinkMessage#NLA_F_NESTED} bit ignored)
 * as a slice, so nested attributes parse with the same class.
 */
public final class NetlinkAttributes {
    private final ByteBuffer region;

    /** The attributes in {@code region} from its position to its limit. */
    public NetlinkAttributes(ByteBuffer region) {
        this.region = region.slice().order(ByteOrder.nativeOrder());
    }

    /** The payload of the first attribute of {@code type}, or null. */
    public ByteBuffer find(int type) {
        List<ByteBuffer> all = findAll(type, true);
        return all.isEmpty() ? null : all.get(0);
    }

    /** The payloads of every attribute of {@code type}, in order. */
    public List<ByteBuffer> findAll(int type) {
        return findAll(type, false);
    }

    private List<ByteBuffer> findAll(int type, boolean firstOnly) {
        List<ByteBuffer> found = new ArrayList<>();
        int at = 0;
        while (at + NetlinkMessage.ATTR_HEADER_BYTES <= region.limit()) {
            int length = Short.toUnsignedInt(region.getShort(at));
            int attrType = Short.toUnsignedInt(region.getShort(at + 2)) & NetlinkMessage.NLA_TYPE_MASK;
            if (length < NetlinkMessage.ATTR_HEADER_BYTES || at + length > region.limit()) {
                throw new IllegalArgumentException("malformed netlink attribute at " + at + ": length " + length);
            }
            if (attrType == type) {
                found.add(region.slice(at + NetlinkMessage.ATTR_HEADER_BYTES, length - NetlinkMessage.ATTR_HEADER_BYTES)
                        .order(ByteOrder.nativeOrder()));
                if (firstOnly) {
                    break;
                }
            }
            at += (length + 3) & ~3;
        }
        return found;
    }

    /** A u8/u16/u32 payload as an unsigned int, or {@code missing}. */
    public long unsigned(int type, long missing) {
        ByteBuffer value = find(type);
        if (value == null) {
            return missing;
        }
        return switch (value.remaining()) {
            case 1 -> Byte.toUnsignedInt(value.get(0));
            case 2 -> Short.toUnsignedInt(value.getShort(0));
            case 4 -> Integer.toUnsignedLong(value.getInt(0));
            case 8 -> value.getLong(0);
            default -> throw new IllegalArgumentException("attribute " + type + " has " + value.remaining()
                    + " bytes, not an integer");
        };
    }
}
