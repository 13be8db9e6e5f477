package org.hast.device.nbd;

import static org.hast.device.nbd.NbdProtocol.*;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.hast.device.nbd.NbdTestClient.OptionReply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The fixed-newstyle handshake, byte by byte, against a real server on a Unix socket. */
@Timeout(30)
@ExtendWith(NbdLeaks.class)
class NbdHandshakeTest {
    private static final long SIZE = 1 << 20;
    private static final int FLAGS_MULTI = TFLAG_HAS_FLAGS | TFLAG_SEND_FLUSH | TFLAG_SEND_FUA | TFLAG_SEND_TRIM
            | TFLAG_SEND_WRITE_ZEROES | TFLAG_SEND_FAST_ZERO | TFLAG_CAN_MULTI_CONN;

    @TempDir
    Path dir;
    private NbdFixture fx;

    @BeforeEach
    void start() throws Exception {
        fx = new NbdFixture(dir, SIZE);
    }

    @AfterEach
    void stop() throws Exception {
        fx.close();
    }

    private NbdTestClient negotiating() throws Exception {
        NbdTestClient c = fx.client();
        c.readGreeting();
        c.sendClientFlags(CLIENT_FIXED_NEWSTYLE | CLIENT_NO_ZEROES);
        return c;
    }

    @Test
    void greetingFieldByField() throws Exception {
        try (NbdTestClient c = fx.client()) {
            ByteBuffer g = c.readFully(18);
            assertEquals(0x4e42444d41474943L, g.getLong(), "NBDMAGIC");
            assertEquals(0x49484156454F5054L, g.getLong(), "IHAVEOPT");
            assertEquals(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES, g.getShort(), "handshake flags");
        }
    }

    @Test
    void unknownClientFlagClosesTheConnection() throws Exception {
        try (NbdTestClient c = fx.client()) {
            c.readGreeting();
            c.sendClientFlags(CLIENT_FIXED_NEWSTYLE | 0x4);
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void exportNameWithoutNoZeroesSendsTheZeroPadThenTransmits() throws Exception {
        try (NbdTestClient c = fx.client()) {
            c.readGreeting();
            c.sendClientFlags(CLIENT_FIXED_NEWSTYLE);
            c.sendOption(OPT_EXPORT_NAME, "res0".getBytes(StandardCharsets.UTF_8));
            ByteBuffer r = c.readFully(8 + 2 + 124);
            assertEquals(SIZE, r.getLong(), "export size");
            assertEquals(FLAGS_MULTI, r.getShort() & 0xffff, "transmission flags");
            while (r.hasRemaining()) {
                assertEquals(0, r.get(), "zero pad");
            }
            assertArrayEquals(new byte[512], c.read(0, 512));
        }
    }

    @Test
    void exportNameEmptyIsTheDefaultExportAndNoZeroesDropsThePad() throws Exception {
        try (NbdTestClient c = negotiating()) {
            c.sendOption(OPT_EXPORT_NAME, new byte[0]);
            ByteBuffer r = c.readFully(10);
            assertEquals(SIZE, r.getLong());
            assertEquals(FLAGS_MULTI, r.getShort() & 0xffff);
            // the very next bytes are a transmission reply: no pad in between
            assertEquals(0, c.write(0, new byte[] {1, 2, 3}, 0));
            assertArrayEquals(new byte[] {1, 2, 3}, c.read(0, 3));
        }
    }

    @Test
    void exportNameOfUnknownExportCloses() throws Exception {
        try (NbdTestClient c = negotiating()) {
            c.sendOption(OPT_EXPORT_NAME, "other".getBytes(StandardCharsets.UTF_8));
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void abortIsAcknowledgedThenClosed() throws Exception {
        try (NbdTestClient c = negotiating()) {
            c.sendOption(OPT_ABORT, new byte[0]);
            OptionReply r = c.readOptionReply();
            assertEquals(OPT_ABORT, r.option);
            assertEquals(REP_ACK, r.type);
            assertEquals(0, r.data.length);
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void listNamesOurExportThenAcks() throws Exception {
        try (NbdTestClient c = negotiating()) {
            c.sendOption(OPT_LIST, new byte[0]);
            OptionReply server = c.readOptionReply();
            assertEquals(OPT_LIST, server.option);
            assertEquals(REP_SERVER, server.type);
            ByteBuffer d = server.buffer();
            assertEquals(4, d.getInt(), "name length");
            byte[] name = new byte[4];
            d.get(name);
            assertEquals("res0", new String(name, StandardCharsets.UTF_8));
            assertFalse(d.hasRemaining());
            OptionReply ack = c.readOptionReply();
            assertEquals(REP_ACK, ack.type);
            // LIST carries no data: with data it is invalid, and negotiation goes on
            c.sendOption(OPT_LIST, new byte[] {1});
            assertEquals(REP_ERR_INVALID, c.readOptionReply().type);
            c.sendOption(OPT_GO, NbdTestClient.infoData("res0"));
            assertEquals(REP_INFO, c.readOptionReply().type);
        }
    }

    @Test
    void infoDescribesTheExportAndStaysInNegotiation() throws Exception {
        try (NbdTestClient c = negotiating()) {
            c.sendOption(OPT_INFO, NbdTestClient.infoData("", INFO_NAME, INFO_BLOCK_SIZE, 0x7777));
            OptionReply export = c.readOptionReply();
            assertEquals(OPT_INFO, export.option);
            assertEquals(REP_INFO, export.type);
            assertEquals(12, export.data.length);
            ByteBuffer e = export.buffer();
            assertEquals(INFO_EXPORT, e.getShort());
            assertEquals(SIZE, e.getLong());
            assertEquals(FLAGS_MULTI, e.getShort() & 0xffff);

            OptionReply name = c.readOptionReply();
            assertEquals(REP_INFO, name.type);
            ByteBuffer n = name.buffer();
            assertEquals(INFO_NAME, n.getShort());
            assertEquals("res0", StandardCharsets.UTF_8.decode(n).toString(), "the real name for the default export");

            OptionReply sizes = c.readOptionReply();
            assertEquals(14, sizes.data.length);
            ByteBuffer s = sizes.buffer();
            assertEquals(INFO_BLOCK_SIZE, s.getShort());
            assertEquals(1, s.getInt(), "minimum");
            assertEquals(4096, s.getInt(), "preferred");
            assertEquals(32 << 20, s.getInt(), "maximum");

            assertEquals(REP_ACK, c.readOptionReply().type);
            // still negotiating: GO now enters transmission
            assertEquals(SIZE, goSize(c));
            assertArrayEquals(new byte[16], c.read(SIZE - 16, 16));
        }
    }

    private static long goSize(NbdTestClient c) throws Exception {
        c.sendOption(OPT_GO, NbdTestClient.infoData("res0"));
        long size = -1;
        for (OptionReply r = c.readOptionReply(); r.type != REP_ACK; r = c.readOptionReply()) {
            assertEquals(REP_INFO, r.type);
            ByteBuffer d = r.buffer();
            if (d.getShort() == INFO_EXPORT) {
                size = d.getLong();
            }
        }
        return size;
    }

    @Test
    void infoAndGoOnUnknownExportAreErrUnknown() throws Exception {
        try (NbdTestClient c = negotiating()) {
            c.sendOption(OPT_INFO, NbdTestClient.infoData("nope"));
            OptionReply r = c.readOptionReply();
            assertEquals(OPT_INFO, r.option);
            assertEquals(REP_ERR_UNKNOWN, r.type);
            c.sendOption(OPT_GO, NbdTestClient.infoData("nope"));
            assertEquals(REP_ERR_UNKNOWN, c.readOptionReply().type);
            assertEquals(SIZE, goSize(c));
        }
    }

    @Test
    void malformedInfoDataIsErrInvalid() throws Exception {
        byte[][] bad = {
            {0, 0, 0}, // shorter than name length + count
            {0, 0, 0, 9, 'r', 'e', 's', '0', 0, 0}, // name length beyond the data
            {0, 0, 0, 0, 0, 2, 0, 1}, // two requests announced, one present
            {0, 0, 0, 0, 0, 0, 0}, // a stray byte after the count
        };
        try (NbdTestClient c = negotiating()) {
            for (byte[] data : bad) {
                c.sendOption(OPT_GO, data);
                OptionReply r = c.readOptionReply();
                assertEquals(OPT_GO, r.option);
                assertEquals(REP_ERR_INVALID, r.type);
            }
            assertEquals(SIZE, goSize(c));
        }
    }

    @Test
    void unsupportedOptionsAreErrUnsupAndNegotiationGoesOn() throws Exception {
        int[] codes = {OPT_STARTTLS, OPT_STRUCTURED_REPLY, OPT_LIST_META_CONTEXT, OPT_SET_META_CONTEXT,
            OPT_EXTENDED_HEADERS, 0, 4, 12, 0x12345678, -1};
        try (NbdTestClient c = negotiating()) {
            for (int code : codes) {
                c.sendOption(code, new byte[] {1, 2, 3});
                OptionReply r = c.readOptionReply();
                assertEquals(code, r.option);
                assertEquals(REP_ERR_UNSUP, r.type, "option " + code);
            }
            assertEquals(SIZE, goSize(c));
        }
    }

    @Test
    void oversizedOptionIsSkippedAndErrTooBig() throws Exception {
        try (NbdTestClient c = negotiating()) {
            c.sendOption(OPT_INFO, new byte[MAX_OPTION_BYTES + 1]);
            OptionReply r = c.readOptionReply();
            assertEquals(OPT_INFO, r.option);
            assertEquals(REP_ERR_TOO_BIG, r.type);
            assertEquals(SIZE, goSize(c));
        }
    }

    @Test
    void oversizedExportNameCloses() throws Exception {
        try (NbdTestClient c = negotiating()) {
            c.sendOption(OPT_EXPORT_NAME, new byte[MAX_OPTION_BYTES + 1]);
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void badOptionMagicCloses() throws Exception {
        try (NbdTestClient c = negotiating()) {
            ByteBuffer b = ByteBuffer.allocate(16).putLong(NBDMAGIC).putInt(OPT_LIST).putInt(0);
            c.send(b);
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void requestsPipelinedBehindGoAreServed() throws Exception {
        try (NbdTestClient c = negotiating()) {
            byte[] go = NbdTestClient.infoData("res0");
            ByteBuffer b = ByteBuffer.allocate(16 + go.length + REQUEST_HEADER_BYTES + 4);
            b.putLong(IHAVEOPT).putInt(OPT_GO).putInt(go.length).put(go);
            b.putInt(REQUEST_MAGIC).putShort((short) 0).putShort((short) CMD_WRITE).putLong(42).putLong(100).putInt(4)
                    .put(new byte[] {9, 8, 7, 6});
            c.send(b); // one segment: GO and a WRITE the handshake handler must hand on
            for (OptionReply r = c.readOptionReply(); r.type != REP_ACK; r = c.readOptionReply()) {
                assertEquals(REP_INFO, r.type);
            }
            long[] reply = c.readReply();
            assertEquals(0, reply[0]);
            assertEquals(42, reply[1]);
            assertArrayEquals(new byte[] {9, 8, 7, 6}, c.read(100, 4));
        }
    }

    @Test
    void noMultiConnWhenFlushIsPerConnection(@TempDir Path other) throws Exception {
        try (NbdFixture single = new NbdFixture(other, SIZE, false); NbdTestClient c = single.client()) {
            c.readGreeting();
            c.sendClientFlags(CLIENT_FIXED_NEWSTYLE | CLIENT_NO_ZEROES);
            c.sendOption(OPT_EXPORT_NAME, new byte[0]);
            ByteBuffer r = c.readFully(10);
            r.getLong();
            assertEquals(FLAGS_MULTI & ~TFLAG_CAN_MULTI_CONN, r.getShort() & 0xffff);
        }
    }
}
