package org.hast.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.hast.nv.NvMessage;
import org.hast.testing.HastCluster;
import org.hast.testing.HastNode;
import org.hast.testing.Requirements;
import org.junit.jupiter.api.Test;

/**
 * Our hastd answers the exact request bytes FreeBSD's hastctl sent (vectors/nv/ctl_*) with the
 * reply FreeBSD's hastd gave: byte for byte where no path or PID is involved, field for field
 * (names, types, order) where one is.
 */
class ControlReplyLayoutIT {
    @Test
    void repliesMatchTheReferenceDaemon() throws Exception {
        try (HastCluster cluster = HastCluster.create("controlReplyLayout", 2)) {
            cluster.createDisks(64L << 20, "test");
            cluster.writeConfig("", "", "test");
            HastNode a = cluster.node(0);
            assertEquals(0, a.hastctl("create", "test").exitCode());
            a.start();

            assertSameFields("status_all_A_init", exchange(a, "status_all_A_init"));
            assertSameBytes("role_primary_test_A", exchange(a, "role_primary_test_A"));
            assertSameFields("status_all_A_primary", exchange(a, "status_all_A_primary"));
            assertSameFields("status_test_A_primary", exchange(a, "status_test_A_primary"));
            assertSameBytes("role_primary_nosuch_A", exchange(a, "role_primary_nosuch_A"));
            assertSameBytes("role_init_all_A", exchange(a, "role_init_all_A"));
        }
    }

    private static byte[] exchange(HastNode node, String vector) throws IOException {
        byte[] request = Files.readAllBytes(Requirements.vector("nv/ctl_" + vector + ".req.zeroed.bin"));
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(node.controlSocket()));
            channel.write(ByteBuffer.wrap(request));
            ByteBuffer reply = ByteBuffer.allocate(1 << 16);
            while (channel.read(reply) >= 0) {
                if (!reply.hasRemaining()) {
                    break;
                }
            }
            reply.flip();
            byte[] bytes = new byte[reply.remaining()];
            reply.get(bytes);
            return bytes;
        }
    }

    private static void assertSameBytes(String vector, byte[] ours) throws IOException {
        byte[] reference = Files.readAllBytes(Requirements.vector("nv/ctl_" + vector + ".resp.zeroed.bin"));
        assertArrayEquals(reference, ours, vector);
    }

    private static void assertSameFields(String vector, byte[] ours) throws Exception {
        byte[] reference = Files.readAllBytes(Requirements.vector("nv/ctl_" + vector + ".resp.zeroed.bin"));
        assertEquals(reference[0], ours[0], vector + ": header version");
        assertEquals(fields(reference), fields(ours), vector);
    }

    /** "name:type" for every entry, in order. */
    private static List<String> fields(byte[] frame) throws Exception {
        NvMessage message = NvMessage.decode(ByteBuffer.wrap(frame, 5, frame.length - 5).slice());
        List<String> fields = new ArrayList<>();
        for (int i = 0; i < message.size(); i++) {
            fields.add(message.nameAt(i) + ":" + message.typeAt(i));
        }
        return fields;
    }
}
