package org.hast.device.netlink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The netlink messages against layouts computed by hand from linux:include/uapi/linux/netlink.h,
 * genetlink.h and nbd-netlink.h (x86_64, little-endian).
 */
class NbdNetlinkCodecTest {
    private static final HexFormat HEX = HexFormat.of();

    private static byte[] hex(String spaced) {
        return HEX.parseHex(spaced.replaceAll("\\s+", ""));
    }

    @Test
    void connectMessageLayout() {
        byte[] built = NbdNetlink.connectMessage(0x1a, 7, -1,
                new NbdNetlink.Settings(64L << 20, 512, 0x6d, 30, 120, "hast:r0"), 5).finish();
        byte[] expected = hex("""
                6c000000 1a00 0500 07000000 00000000
                01 01 0000
                0c00 0200 0000000400000000
                0c00 0300 0002000000000000
                0c00 0500 6d00000000000000
                0c00 0400 1e00000000000000
                0c00 0800 7800000000000000
                0c00 0a00 686173743a723000
                1000 0780
                  0c00 0180
                    0800 0100 05000000
                """);
        assertEquals(108, expected.length);
        assertArrayEquals(expected, built, () -> HEX.formatHex(built));
    }

    @Test
    void connectWithAnIndexAndWithoutBackendIdentifier() {
        byte[] built = NbdNetlink.connectMessage(0x1a, 1, 3,
                new NbdNetlink.Settings(4096, 4096, 1, 0, 0, null), 9).finish();
        ByteBuffer in = ByteBuffer.wrap(built).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(built.length, in.getInt(0));
        NetlinkAttributes attrs = new NetlinkAttributes(in.position(20));
        assertEquals(3, attrs.unsigned(NbdNetlink.ATTR_INDEX, -1));
        assertEquals(4096, attrs.unsigned(NbdNetlink.ATTR_SIZE_BYTES, -1));
        assertNull(attrs.find(NbdNetlink.ATTR_BACKEND_IDENTIFIER));
        ByteBuffer sockets = attrs.find(NbdNetlink.ATTR_SOCKETS);
        ByteBuffer item = new NetlinkAttributes(sockets).find(NbdNetlink.SOCK_ITEM);
        assertEquals(9, new NetlinkAttributes(item).unsigned(NbdNetlink.SOCK_FD, -1));
    }

    @Test
    void reconfigureMessageLayout() {
        byte[] built = NbdNetlink.reconfigureMessage(0x1a, 2, 4, 11, 30, 120, "hast:r0").finish();
        byte[] expected = hex("""
                50000000 1a00 0500 02000000 00000000
                03 01 0000
                0800 0100 04000000
                0c00 0400 1e00000000000000
                0c00 0800 7800000000000000
                0c00 0a00 686173743a723000
                1000 0780 0c00 0180 0800 0100 0b000000
                """);
        assertArrayEquals(expected, built, () -> HEX.formatHex(built));
    }

    @Test
    void getFamilyRequestLayout() {
        byte[] built = NetlinkMessage.request(GenericNetlink.GENL_ID_CTRL, GenericNetlink.CTRL_CMD_GETFAMILY, 1, 9)
                .string(GenericNetlink.CTRL_ATTR_FAMILY_NAME, "nbd").finish();
        byte[] expected = hex("""
                1c000000 1000 0500 09000000 00000000
                03 01 0000
                0800 0200 6e626400
                """);
        assertArrayEquals(expected, built, () -> HEX.formatHex(built));
    }

    @Test
    void stringsAndSmallIntegersArePaddedToFourBytes() {
        byte[] built = NetlinkMessage.request(1, 1, 1, 1).string(1, "abcd").u8(2, 7).u16(3, 0x102).finish();
        byte[] expected = hex("""
                30000000 0100 0500 01000000 00000000
                01 01 0000
                0900 0100 6162636400 000000
                0500 0200 07 000000
                0600 0300 0201 0000
                """);
        assertArrayEquals(expected, built, () -> HEX.formatHex(built));
    }

    @Test
    void anAckEndsTheExchangeAndAnErrorIsItsErrno() throws Exception {
        List<NetlinkAttributes> replies = new ArrayList<>();
        // nlmsgerr: error 0, then the request's header.
        byte[] ack = hex("24000000 0200 0001 05000000 00000000 00000000"
                + " 14000000 1a00 0500 05000000 00000000");
        assertTrue(GenericNetlink.parse(ByteBuffer.wrap(ack), 5, "x", replies));
        assertTrue(replies.isEmpty());
        assertFalse(GenericNetlink.parse(ByteBuffer.wrap(ack), 6, "x", replies), "another request's ack");
        byte[] busy = hex("24000000 0200 0000 05000000 00000000 f0ffffff"
                + " 14000000 1a00 0500 05000000 00000000");
        NetlinkException e = assertThrows(NetlinkException.class,
                () -> GenericNetlink.parse(ByteBuffer.wrap(busy), 5, "NBD_CMD_CONNECT", replies));
        assertEquals(16, e.errno());
        assertTrue(e.getMessage().startsWith("NBD_CMD_CONNECT: "), e.getMessage());
    }

    @Test
    void replyThenAckInOneDatagram() throws Exception {
        // A CONNECT reply carrying NBD_ATTR_INDEX = 2, then the ack.
        byte[] datagram = hex("1c000000 1a00 0000 05000000 00000000 01 01 0000 0800 0100 02000000"
                + " 24000000 0200 0001 05000000 00000000 00000000 14000000 1a00 0500 05000000 00000000");
        List<NetlinkAttributes> replies = new ArrayList<>();
        assertTrue(GenericNetlink.parse(ByteBuffer.wrap(datagram), 5, "x", replies));
        assertEquals(1, replies.size());
        assertEquals(2, replies.get(0).unsigned(NbdNetlink.ATTR_INDEX, -1));
    }

    @Test
    void statusReplyFindsTheDevice() {
        // NBD_ATTR_DEVICE_LIST { ITEM { INDEX 0, CONNECTED 0 }, ITEM { INDEX 1, CONNECTED 1 } }
        byte[] attrs = hex("""
                2c00 0980
                  1400 0180 0800 0100 00000000 0500 0200 00 000000
                  1400 0180 0800 0100 01000000 0500 0200 01 000000
                """);
        NetlinkAttributes reply = new NetlinkAttributes(ByteBuffer.wrap(attrs));
        assertEquals(Boolean.FALSE, NbdNetlink.connectedIn(reply, 0));
        assertEquals(Boolean.TRUE, NbdNetlink.connectedIn(reply, 1));
        assertNull(NbdNetlink.connectedIn(reply, 2));
        assertNull(NbdNetlink.connectedIn(new NetlinkAttributes(ByteBuffer.allocate(0)), 0));
    }

    @Test
    void malformedAttributesAreRefused() {
        byte[] truncated = hex("0c00 0100 0000");
        assertThrows(IllegalArgumentException.class,
                () -> new NetlinkAttributes(ByteBuffer.wrap(truncated)).find(1));
        byte[] tooShort = hex("0200 0100");
        assertThrows(IllegalArgumentException.class,
                () -> new NetlinkAttributes(ByteBuffer.wrap(tooShort)).find(1));
    }
}
