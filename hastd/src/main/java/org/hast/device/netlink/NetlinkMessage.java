package org.hast.device.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Builds one generic-netlink request (linux:include/uapi/linux/netlink.h, genetlink.h) in host
 * byte order: a 16-byte {@code nlmsghdr} (len u32, type u16, flags u16, seq u32, pid u32), the
 * 4-byte {@code genlmsghdr} (cmd u8, version u8, reserved u16), then attributes, each a 4-byte
 * {@code nlattr} (len u16, type u16) with its payload padded to 4 bytes. Nested attributes are
 * opened with {@link #beginNested(int)} and closed with {@link #endNested(int)}, which writes
 * their length once it is known. Control messages only: a few hundred bytes, built rarely.
 */
public final class NetlinkMessage {
    public static final int HEADER_BYTES = 16;
    public static final int GENL_HEADER_BYTES = 4;
    public static final int ATTR_HEADER_BYTES = 4;

    public static final int NLM_F_REQUEST = 0x1;
    public static final int NLM_F_ACK = 0x4;
    /** Set on the type of an attribute that holds attributes. */
    public static final int NLA_F_NESTED = 0x8000;
    /** The type bits of {@code nla_type}, without the nested and byte-order flags. */
    public static final int NLA_TYPE_MASK = 0x3fff;

    private static final int CAPACITY = 1024;

    private final ByteBuffer buf = ByteBuffer.allocate(CAPACITY).order(ByteOrder.nativeOrder());

    /**
     * A request to generic-netlink family {@code family} (its id, as the controller resolved
     * it) for command {@code cmd}, asking for an acknowledgement.
     */
    public static NetlinkMessage request(int family, int cmd, int version, int seq) {
        NetlinkMessage m = new NetlinkMessage();
        m.buf.putInt(0); // length, set by finish()
        m.buf.putShort((short) family);
        m.buf.putShort((short) (NLM_F_REQUEST | NLM_F_ACK));
        m.buf.putInt(seq);
        m.buf.putInt(0); // to the kernel
        m.buf.put((byte) cmd);
        m.buf.put((byte) version);
        m.buf.putShort((short) 0);
        return m;
    }

    public NetlinkMessage u8(int type, int value) {
        attrHeader(type, 1);
        buf.put((byte) value);
        pad();
        return this;
    }

    public NetlinkMessage u16(int type, int value) {
        attrHeader(type, 2);
        buf.putShort((short) value);
        pad();
        return this;
    }

    public NetlinkMessage u32(int type, int value) {
        attrHeader(type, 4);
        buf.putInt(value);
        return this;
    }

    public NetlinkMessage u64(int type, long value) {
        attrHeader(type, 8);
        buf.putLong(value);
        return this;
    }

    /** A NUL-terminated string, as {@code NLA_NUL_STRING} and {@code NLA_STRING} both accept. */
    public NetlinkMessage string(int type, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        attrHeader(type, bytes.length + 1);
        buf.put(bytes);
        buf.put((byte) 0);
        pad();
        return this;
    }

    /** Opens a nested attribute; returns the mark {@link #endNested(int)} needs. */
    public int beginNested(int type) {
        int mark = buf.position();
        attrHeader(type | NLA_F_NESTED, 0);
        return mark;
    }

    public NetlinkMessage endNested(int mark) {
        buf.putShort(mark, (short) (buf.position() - mark));
        return this;
    }

    /** The message's bytes, its length field set. */
    public byte[] finish() {
        buf.putInt(0, buf.position());
        return Arrays.copyOf(buf.array(), buf.position());
    }

    private void attrHeader(int type, int payloadBytes) {
        buf.putShort((short) (ATTR_HEADER_BYTES + payloadBytes));
        buf.putShort((short) type);
    }

    private void pad() {
        while ((buf.position() & 3) != 0) {
            buf.put((byte) 0);
        }
    }
}
