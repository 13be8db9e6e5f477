package org.hast.it.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.hast.nv.NvWriter;
import org.hast.proto.Frame;
import org.hast.proto.Frames;
import org.hast.proto.HandshakeParams;
import org.hast.proto.HandshakeTokenReply;
import org.hast.proto.HioCommand;
import org.hast.proto.ReplyHeader;
import org.hast.proto.RequestHeader;
import org.hast.proto.SyncSource;
import org.hast.testing.HastCluster;
import org.hast.testing.HastNode;
import org.hast.testing.Processes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Spec §4.6: memsync is a protocol-2 feature. A real primary configured for memsync talks to a
 * scripted secondary that negotiates protocol version 1 (as an old FreeBSD would): its writes
 * must then be replicated in fullsync, without the {@code memsync} flag, and still be answered.
 */
class MemsyncProtocolOneIT {
    private static final String RESOURCE = "r0";
    private HastCluster cluster;
    private ServerSocket listener;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() throws Exception {
        if (listener != null) {
            listener.close();
        }
        for (Socket socket : sockets) {
            socket.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aProtocolOneSecondaryGetsFullsyncWrites(TestInfo test) throws Exception {
        cluster = HastCluster.create(test.getTestMethod().orElseThrow().getName(), 2);
        cluster.createDisks(16L << 20, RESOURCE);
        cluster.writeConfig("timeout 10", "\treplication memsync", RESOURCE);
        HastNode a = cluster.node(0);
        HastNode b = cluster.node(1); // never started: its port is the scripted secondary's
        listener = new ServerSocket(b.port(), 2, InetAddress.getByName("127.0.0.1"));
        listener.setSoTimeout(60_000);
        assertEquals(0, a.hastctl("create", RESOURCE).exitCode());
        long dataSize = (16L << 20) - a.localOffset(RESOURCE);
        a.start();
        Processes.Result role = a.hastctl("role", "primary", RESOURCE);
        assertEquals(0, role.exitCode(), role.toString());

        List<RequestHeader> writes = new CopyOnWriteArrayList<>();
        List<Integer> frameVersions = new CopyOnWriteArrayList<>();
        Thread secondary = new Thread(() -> serve(dataSize, writes, frameVersions), "scripted-secondary");
        secondary.setDaemon(true);
        secondary.start();

        HastCluster.awaitStatus(a, RESOURCE, "complete", 60_000);
        FaultPair.awaitExport(a);
        int count = 8;
        try (NbdClient client = NbdClient.connect(a.exportSocket(RESOURCE), RESOURCE)) {
            for (int i = 0; i < count; i++) {
                ByteBuffer block = ByteBuffer.allocate(4096);
                block.putInt(0, i + 1);
                client.write((long) i * 4096, block).get(30, TimeUnit.SECONDS);
            }
        }
        // Nothing is dirty after hastctl create and the secondary sends no bitmap: no sync writes.
        List<RequestHeader> regular = List.copyOf(writes);
        System.out.println("fault: protocol-1 secondary, memsync configured: " + regular.size()
                + " regular writes received, with the memsync flag: "
                + regular.stream().filter(RequestHeader::memsync).count() + ", frame versions " + frameVersions
                .stream().distinct().toList());
        assertEquals(count, regular.size(), "every write reached the secondary once");
        assertFalse(regular.stream().anyMatch(RequestHeader::memsync), "memsync flag sent to a protocol-1 peer");
        assertTrue(frameVersions.stream().allMatch(v -> v == 1), "frames of version 1 only: " + frameVersions);
    }

    /**
     * The secondary's side of §4.3 with version 1, then one reply per request (KEEPALIVE none),
     * recording every WRITE header, until the primary goes away.
     */
    private void serve(long dataSize, List<RequestHeader> writes, List<Integer> frameVersions) {
        try {
            Socket out = accept();
            InputStream fromPrimary = out.getInputStream();
            receive(fromPrimary, frameVersions); // resource, version 2
            byte[] token = new byte[HandshakeTokenReply.TOKEN_SIZE];
            new SecureRandom().nextBytes(token);
            send(out.getOutputStream(), new HandshakeTokenReply(1, token).toNv());
            Socket in = accept();
            receive(in.getInputStream(), frameVersions); // resource, token, resuid, counters
            send(out.getOutputStream(), HandshakeParams.accepted(dataSize, 2 << 20, 0, 0, false,
                    SyncSource.PRIMARY, 0).toNv());
            OutputStream replies = in.getOutputStream();
            while (true) {
                Frame frame = receive(fromPrimary, frameVersions);
                RequestHeader request = RequestHeader.fromNv(frame.nv());
                if (request.cmd() == HioCommand.KEEPALIVE) {
                    continue;
                }
                if (request.cmd() == HioCommand.WRITE) {
                    writes.add(request);
                }
                if (request.cmd() == HioCommand.READ) {
                    send(replies, ReplyHeader.failed(request.seq(), 5).toNv()); // never asked in this test
                } else {
                    send(replies, ReplyHeader.done(request.seq()).toNv());
                }
            }
        } catch (IOException | org.hast.nv.NvFormatException e) {
            // The primary went away (end of the test) or spoke out of turn: the test's checks say which.
        }
    }

    private Socket accept() throws IOException {
        Socket socket = listener.accept();
        sockets.add(socket);
        return socket;
    }

    private static Frame receive(InputStream stream, List<Integer> versions)
            throws IOException, org.hast.nv.NvFormatException {
        Frame frame = Frames.readFrom(stream, 1 << 16);
        new DataInputStream(stream).skipNBytes(frame.payloadSize());
        versions.add(frame.version());
        return frame;
    }

    private static void send(OutputStream stream, NvWriter nv) throws IOException {
        ByteBuffer frame = Frames.encode(1, nv);
        byte[] bytes = new byte[frame.remaining()];
        frame.get(bytes);
        stream.write(bytes);
        stream.flush();
    }
}
