package org.hast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.hast.codec.PayloadCodec;
import org.hast.nv.NvWriter;
import org.hast.proto.Frames;
import org.hast.proto.HandshakeFirst;
import org.hast.proto.RequestHeader;
import org.hast.testing.HastCluster;
import org.hast.testing.FrameMutator;
import org.hast.testing.HastNode;
import org.hast.testing.Processes;
import org.junit.jupiter.api.Test;

/**
 * Generated input on a live secondary's replication port: 10,000 malformed first headers, then
 * malformed request streams after real handshakes. Each connection must end in a reply or a
 * close; the daemon stays up and nothing outside the data area changes.
 */
class HandshakeFuzzIT {
    // Short CI form: the Jazzer targets fuzz the handshake decoders at depth (docs/fuzzing.md);
    // this drives the real daemon, a worker JVM per session.
    private static final int HEADERS = 5_000;
    private static final int SESSIONS = 20;

    @Test
    void secondarySurvivesGarbage() throws Exception {
        long seed = Long.getLong("hast.fuzz.seed", System.nanoTime());
        Random random = new Random(seed);
        try (HastCluster cluster = HastCluster.create("handshakeFuzz", 2)) {
            cluster.createDisks(16L << 20, "shared");
            cluster.writeConfig("", "", "shared");
            HastNode b = cluster.node(1);
            assertEquals(0, b.hastctl("create", "shared").exitCode());
            b.start();
            assertEquals(0, b.hastctl("role", "secondary", "shared").exitCode());
            List<byte[]> corpus = new ArrayList<>();
            corpus.add(frame(1, HandshakeFirst.of("shared").toNv()));
            corpus.add(frame(2, new NvWriter().addString("resource", "shared").addUint8("version", 2)
                    .addUint8Array("token", new byte[16])));
            corpus.add(frame(2, new NvWriter().addString("resource", "nosuch")));
            corpus.add(frame(2, new NvWriter().addUint8("version", 9)));
            FrameMutator headers = new FrameMutator(random, corpus);
            FrameMutator requests = new FrameMutator(random, requestCorpus());
            int replies = 0;
            try {
                for (int i = 0; i < HEADERS; i++) {
                    if (exchange(b.port(), headers.next())) {
                        replies++;
                    }
                }
            } catch (IOException e) {
                throw new AssertionError("seed " + seed + ": " + e + "\n" + b.logText(), e);
            }
            assertTrue(b.process().isAlive(), "seed " + seed);
            assertTrue(replies > 100, "some inputs must get a reply: " + replies);

            byte[] metadataBefore = null;
            for (int session = 0; session < SESSIONS; session++) {
                try (TestPrimary primary = TestPrimary.connect(b.port(), "shared", 77, 0, 0, true)) {
                    if (metadataBefore == null) {
                        metadataBefore = head(b, 4608);
                    }
                    byte[] garbage = requests.next();
                    primary.out.getOutputStream().write(garbage);
                    primary.out.getOutputStream().flush();
                } catch (IOException e) {
                    // The secondary may close first: that is an allowed outcome.
                }
                awaitNoWorker(b);
            }
            assertTrue(b.process().isAlive(), "seed " + seed + "\n" + b.logText());
            Processes.Result status = b.hastctl("status");
            assertEquals(0, status.exitCode(), status.toString());
            byte[] metadataAfter = head(b, 4608);
            // Metadata and bitmap are rewritten only with the same contents (the bitmap cleared).
            assertEquals(Arrays.toString(Arrays.copyOf(metadataBefore, 4096)),
                    Arrays.toString(Arrays.copyOf(metadataAfter, 4096)), "metadata untouched, seed " + seed);
            assertEquals(0, b.hastctl("dump", "shared").exitCode());
            System.out.printf("handshake fuzz: seed %d, %d headers (%d replies), %d request sessions%n",
                    seed, HEADERS, replies, SESSIONS);
        }
    }

    private static List<byte[]> requestCorpus() {
        List<byte[]> corpus = new ArrayList<>();
        ByteBuffer data = ByteBuffer.allocate(4096);
        NvWriter write = RequestHeader.write(1, 4096, 4096, true).toNv();
        org.hast.proto.PayloadFields.append(write, new PayloadCodec().encode(data, ByteBuffer.allocate(4096)));
        byte[] header = frame(2, write);
        byte[] withPayload = Arrays.copyOf(header, header.length + 4);
        corpus.add(withPayload);
        corpus.add(frame(2, RequestHeader.flush(2).toNv()));
        corpus.add(frame(2, RequestHeader.read(3, 0, 4096).toNv()));
        corpus.add(frame(2, RequestHeader.delete(4, 0, 1 << 20).toNv()));
        return corpus;
    }

    private static byte[] frame(int version, NvWriter nv) {
        ByteBuffer buffer = Frames.encode(version, nv);
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    /** Sends, half-closes, waits for a reply or the close; true if reply bytes came back. */
    private static boolean exchange(int port, byte[] input) throws IOException {
        try (Socket socket = TestPrimary.connect(port)) {
            try {
                socket.getOutputStream().write(input);
                socket.shutdownOutput();
            } catch (SocketException e) {
                return false;
            }
            InputStream in = socket.getInputStream();
            try {
                // A reply, or the end: a first header that earned a token keeps its connection
                // open for the second one, so do not wait for the close after a reply.
                return in.read(new byte[4096]) > 0;
            } catch (SocketException e) {
                return false;
            }
        }
    }

    private static byte[] head(HastNode node, int bytes) throws IOException {
        byte[] head = new byte[bytes];
        try (RandomAccessFile file = new RandomAccessFile(node.disk("shared").toFile(), "r")) {
            file.readFully(head);
        }
        return head;
    }

    private static void awaitNoWorker(HastNode node) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (!node.workers().isEmpty() && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(node.workers().isEmpty(), node.logText());
    }
}
