package org.hast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.hast.testing.DataAreas;
import org.hast.testing.HastCluster;
import org.hast.testing.HastNode;
import org.hast.testing.Processes;
import org.hast.testing.Requirements;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Generated bad input against a live primary's export (issue #7): random and mutated
 * handshakes, requests with bad magics, offsets past the end, huge lengths, unknown commands
 * and flags, clients vanishing mid-payload. Afterwards the same worker still serves, a real
 * client reads back what a good client wrote before, and both data areas are identical.
 */
class ExportFuzzIT {
    private static final String RESOURCE = "r0";
    private static final long NBDMAGIC = 0x4e42444d41474943L;
    private static final long IHAVEOPT = 0x49484156454F5054L;
    private static final int REQUEST_MAGIC = 0x25609513;

    private HastCluster cluster;

    @AfterEach
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void malformedClientsLeaveTheDaemonServing(TestInfo test) throws Exception {
        Requirements.requireTool("qemu-io", "qemu-utils");
        cluster = HastCluster.create(test.getTestMethod().orElseThrow().getName(), 2);
        cluster.createDisks(64L << 20, RESOURCE);
        cluster.writeConfig("", "", RESOURCE);
        cluster.startPair(RESOURCE);
        HastNode a = cluster.node(0);
        long worker = a.workers().get(0).pid();
        String uri = a.exportUri(RESOURCE);
        run("qemu-io", "-f", "raw", "-c", "write -P 0x3c 1M 1M", uri);

        long seed = Long.getLong("fuzz.seed", System.nanoTime());
        System.out.println("ExportFuzzIT seed=" + seed);
        Random random = new Random(seed);
        int cases = Integer.getInteger("fuzz.cases", 3000);
        for (int i = 0; i < cases; i++) {
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                ch.connect(UnixDomainSocketAddress.of(a.exportSocket(RESOURCE)));
                readGreeting(ch);
                if (random.nextInt(4) == 0) {
                    sendBytes(ch, randomBytes(random, random.nextInt(64)));
                    continue;
                }
                goodHandshake(ch);
                for (int r = 0, n = 1 + random.nextInt(4); r < n; r++) {
                    sendBytes(ch, badRequest(random));
                }
            } catch (IOException expected) {
                // the server may close on us mid-send; that is one of the allowed answers
            }
        }
        assertEquals(worker, a.workers().get(0).pid(), "the worker survived\n" + a.logText());
        run("qemu-io", "-f", "raw", "-c", "read -P 0x3c 1M 1M", "-c", "write -P 0x7e 0 64k", "-c", "flush", uri);
        long dataSize = (64L << 20) - a.localOffset(RESOURCE);
        DataAreas.assertSame(a.disk(RESOURCE), a.localOffset(RESOURCE), cluster.node(1).disk(RESOURCE),
                cluster.node(1).localOffset(RESOURCE), dataSize, "data areas after the fuzz");
    }

    private static void run(String... argv) throws Exception {
        Processes.Result r = Processes.run(List.of(argv), Map.of(), Duration.ofMinutes(1));
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(!r.stdout().contains("failed"), r.toString());
    }

    private static void readGreeting(SocketChannel ch) throws IOException {
        ByteBuffer greeting = ByteBuffer.allocate(18);
        while (greeting.hasRemaining()) {
            if (ch.read(greeting) < 0) {
                throw new IOException("closed during greeting");
            }
        }
        greeting.flip();
        assertEquals(NBDMAGIC, greeting.getLong());
        assertEquals(IHAVEOPT, greeting.getLong());
    }

    /** Client flags, then NBD_OPT_EXPORT_NAME "r0" (no reply read: the server goes straight on). */
    private static void goodHandshake(SocketChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 + 16 + RESOURCE.length());
        b.putInt(3).putLong(IHAVEOPT).putInt(1).putInt(RESOURCE.length()).put(RESOURCE.getBytes());
        b.flip();
        sendBytes(ch, b);
        ByteBuffer reply = ByteBuffer.allocate(10);
        while (reply.hasRemaining()) {
            if (ch.read(reply) < 0) {
                throw new IOException("closed during EXPORT_NAME");
            }
        }
    }

    private static ByteBuffer badRequest(Random random) {
        int kind = random.nextInt(6);
        int type = switch (kind) {
            case 0 -> 7 + random.nextInt(100);          // unknown or unsupported command
            default -> random.nextInt(7);
        };
        int flags = kind == 1 ? 1 << (1 + random.nextInt(15)) : 0;
        // Requests that are valid after all land above 16 MiB, away from the checked pattern.
        long offset = kind == 2 ? (64L << 20) + random.nextInt(1 << 20) : (16L + random.nextInt(48)) << 20;
        long length = kind == 3 ? 0xffff_ffffL - random.nextInt(1000) : 512L * (1 + random.nextInt(16));
        int magic = kind == 4 ? random.nextInt() : REQUEST_MAGIC;
        int payload = type == 1 ? (kind == 5 ? random.nextInt((int) length) : (int) Math.min(length, 1 << 16)) : 0;
        ByteBuffer b = ByteBuffer.allocate(28 + payload);
        b.putInt(magic).putShort((short) flags).putShort((short) type).putLong(random.nextLong())
                .putLong(offset).putInt((int) length);
        byte[] data = new byte[payload];
        random.nextBytes(data);
        b.put(data).flip();
        return b; // kind 5: the payload is cut short and the client vanishes
    }

    private static byte[] randomBytes(Random random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static void sendBytes(SocketChannel ch, byte[] bytes) throws IOException {
        sendBytes(ch, ByteBuffer.wrap(bytes));
    }

    private static void sendBytes(SocketChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
