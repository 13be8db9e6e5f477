package org.hast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.hast.control.ControlCodes;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.hast.proto.Frames;
import org.hast.testing.HastCluster;
import org.hast.testing.FrameMutator;
import org.hast.testing.HastNode;
import org.hast.testing.Processes;
import org.junit.jupiter.api.Test;

/**
 * Generated input on the control socket of a real hastd: random and mutated frames (truncated
 * headers, absurd sizes, bad nv, unknown commands). Each must end in a reply or a closed
 * connection, and afterwards the daemon must still answer with bounded memory.
 */
class ControlFuzzIT {
    private static final int INPUTS = 10_000;
    private static final long RSS_LIMIT_KB = 600 * 1024;

    @Test
    void daemonSurvivesGarbage() throws Exception {
        long seed = Long.getLong("hast.fuzz.seed", System.nanoTime());
        Random random = new Random(seed);
        try (HastCluster cluster = HastCluster.create("controlFuzz", 1)) {
            cluster.createDisks(8L << 20, "fz");
            cluster.writeConfig("", "", "fz");
            HastNode node = cluster.node(0);
            node.start();
            long rssBefore = rssKb(node.pid());
            FrameMutator mutator = new FrameMutator(random, corpus());
            ExecutorService io = Executors.newSingleThreadExecutor();
            int replies = 0;
            int closed = 0;
            try {
                for (int i = 0; i < INPUTS; i++) {
                    byte[] input = generate(mutator);
                    Future<Boolean> outcome = io.submit(() -> exchange(node.controlSocket(), input));
                    boolean replied = outcome.get(20, TimeUnit.SECONDS);
                    if (replied) {
                        replies++;
                    } else {
                        closed++;
                    }
                }
            } catch (Exception e) {
                throw new AssertionError("seed " + seed + ": " + e + "\n" + node.logText(), e);
            } finally {
                io.shutdownNow();
            }
            assertTrue(node.process().isAlive(), "seed " + seed + "\n" + node.logText());
            Processes.Result status = node.hastctl("status");
            assertEquals(0, status.exitCode(), "seed " + seed + ": " + status);
            assertTrue(status.stdout().contains("fz\t-        init"), status.toString());
            long rssAfter = rssKb(node.pid());
            assertTrue(rssAfter < RSS_LIMIT_KB, "RSS " + rssBefore + " kB before, " + rssAfter + " kB after");
            assertTrue(replies > 100 && closed > 1000, "replies " + replies + ", closed " + closed);
            System.out.printf("control fuzz: seed %d, %d inputs, %d replies, %d closed, RSS %d -> %d kB%n",
                    seed, INPUTS, replies, closed, rssBefore, rssAfter);
        }
    }

    private static List<byte[]> corpus() {
        List<byte[]> corpus = new ArrayList<>();
        corpus.add(frame(new NvWriter().addUint8("cmd", 2).addString("resource0", "all")));
        corpus.add(frame(new NvWriter().addUint8("cmd", 2).addString("resource0", "fz").addString("resource1", "x")));
        corpus.add(frame(new NvWriter().addUint8("cmd", 1).addUint8("role", 2).addString("resource0", "nosuch")));
        corpus.add(frame(new NvWriter().addUint8("cmd", 1).addUint8("role", 9).addString("resource0", "nosuch")));
        corpus.add(frame(new NvWriter().addUint8("cmd", 77).addString("resource0", "all")));
        corpus.add(frame(new NvWriter().addUint8("cmd", 2)));
        corpus.add(frame(new NvWriter().addString("resource0", "all")));
        return corpus;
    }

    private static byte[] frame(NvWriter nv) {
        ByteBuffer buffer = Frames.encode(2, nv);
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    /** A mutated corpus frame or random bytes; never one that would stop hastd or start a worker. */
    private static byte[] generate(FrameMutator mutator) {
        while (true) {
            byte[] input = mutator.next();
            if (!changesState(input)) {
                return input;
            }
        }
    }

    /**
     * Whether a well-formed input would stop the daemon, change a real resource's role, or
     * follow events (that reply is a stream which stays open until the client closes it).
     */
    private static boolean changesState(byte[] input) {
        if (input.length < 5) {
            return false;
        }
        try {
            ByteBuffer nv = ByteBuffer.wrap(input, 5, input.length - 5).slice();
            NvMessage message = NvMessage.decode(nv);
            int cmd = message.getUint8("cmd");
            if (cmd == ControlCodes.CMD_STOP || cmd == ControlCodes.CMD_EVENTS) {
                return true;
            }
            if (cmd == 1) {
                for (int i = 0; message.has("resource" + i); i++) {
                    String name = message.getString("resource" + i);
                    if ("fz".equals(name) || "all".equals(name)) {
                        return true;
                    }
                }
            }
            return false;
        } catch (Exception e) {
            return false;
        }
    }

    /** Sends the input and half-closes; true if any reply bytes came back before the close. */
    private static boolean exchange(Path socket, byte[] input) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            try {
                channel.write(ByteBuffer.wrap(input));
                channel.shutdownOutput();
            } catch (IOException e) {
                return false;
            }
            ByteBuffer reply = ByteBuffer.allocate(1 << 16);
            int total = 0;
            try {
                int n;
                while ((n = channel.read(reply)) >= 0) {
                    total += n;
                    reply.clear();
                }
            } catch (IOException e) {
                // Reset by the daemon: a closed connection.
            }
            return total > 0;
        }
    }

    private static long rssKb(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
