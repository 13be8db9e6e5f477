package org.hast.daemon.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.hast.nv.NvMessage;
import org.hast.proto.Frames;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue #16 item 2: a follower first gets the current state, then every change in order; one
 * that never reads is dropped with a last {@code dropped} event while publishing goes on.
 */
class EventHubTest {
    private Path dir;
    private ServerSocketChannel server;
    private final List<SocketChannel> sockets = new ArrayList<>();
    private final EventHub hub = new EventHub();

    @BeforeEach
    void listen() throws Exception {
        dir = Files.createTempDirectory("hast-events-");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(dir.resolve("s")));
    }

    @AfterEach
    void close() throws Exception {
        hub.close();
        for (SocketChannel socket : sockets) {
            socket.close();
        }
        server.close();
        Files.deleteIfExists(dir.resolve("s"));
        Files.delete(dir);
    }

    /** A connected pair: [0] is hastd's end, [1] the follower's. */
    private SocketChannel[] pair() throws Exception {
        SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(dir.resolve("s")));
        SocketChannel accepted = server.accept();
        sockets.add(client);
        sockets.add(accepted);
        return new SocketChannel[] {accepted, client};
    }

    private static NvMessage next(InputStream in) throws Exception {
        return Frames.readFrom(in, 1 << 16).nv();
    }

    @Test
    void aResourceWithoutEventsYetExistsInInit() throws Exception {
        hub.configured(List.of("r0", "r1"));
        hub.role("r1", "primary", "init");
        hub.configured(List.of("r1"));
        SocketChannel[] all = pair();
        assertTrue(hub.follow(all[0], Set.of()));
        hub.configured(List.of("r1", "r2"));
        hub.publish(null, "reload", nv -> nv.addString("result", "ok"));
        InputStream in = Channels.newInputStream(all[1]);
        NvMessage first = next(in);
        assertEquals("r1", first.getString("resource"), "r0 left the configuration");
        assertEquals("primary", first.getString("role"));
        assertEquals("reload", next(in).getString("event"));
    }

    @Test
    void currentStateFirstThenChangesInOrder() throws Exception {
        hub.role("r0", "primary", "init");
        hub.workerPid("r0", 1234);
        hub.publish("r0", "connect", nv -> { });
        hub.role("r1", "secondary", "init");
        SocketChannel[] only0 = pair();
        assertTrue(hub.follow(only0[0], Set.of("r0")));
        hub.publish("r0", "sync-start", nv -> { });
        hub.publish("r1", "connect", nv -> { });
        hub.publish("r0", "sync-progress", nv -> nv.addUint64("done", 5).addUint64("total", 10));
        hub.publish("r0", "sync-done", nv -> { });
        hub.publish(null, "reload", nv -> nv.addString("result", "ok"));

        InputStream in = Channels.newInputStream(only0[1]);
        NvMessage exists = next(in);
        assertEquals("exists", exists.getString("event"));
        assertEquals("r0", exists.getString("resource"));
        assertEquals("primary", exists.getString("role"));
        assertEquals("up", exists.getString("connection"));
        assertEquals(1234, exists.getUint64("workerpid"));
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            NvMessage event = next(in);
            order.add(event.getString("event") + "/" + event.getString("resource"));
            if ("sync-progress".equals(event.getString("event"))) {
                assertEquals(5, event.getUint64("done"));
            }
        }
        assertEquals(List.of("sync-start/r0", "sync-progress/r0", "sync-done/r0", "reload/null"), order,
                "r1's change is not for this follower; the daemon-wide reload is");
    }

    @Test
    void aFollowerThatNeverReadsIsDroppedAndNeverBlocksPublishing() throws Exception {
        SocketChannel[] stuck = pair();
        assertTrue(hub.follow(stuck[0], Set.of()));
        // Far more than the queue and the socket buffers hold: publishing must never wait.
        int events = EventFollower.QUEUE_CAPACITY * 50;
        byte[] padding = new byte[200];
        for (int i = 0; i < events; i++) {
            hub.publish("r0", "sync-progress", nv -> nv.addUint8Array("pad", padding));
        }
        assertEquals(0, hub.followerCount(), "the stuck follower was dropped");
        // Reading at last, it finds what the buffers held, then the last event, then the end.
        InputStream stuckIn = Channels.newInputStream(stuck[1]);
        NvMessage last = null;
        int seen = 0;
        try {
            while (true) {
                last = next(stuckIn);
                seen++;
            }
        } catch (EOFException e) {
            // hastd closed it after the last event.
        }
        assertTrue(last != null && "dropped".equals(last.getString("event")), "last event: " + last);
        assertEquals(EventFollower.QUEUE_CAPACITY, last.getUint64("behind"));
        assertTrue(seen < events, "the stuck follower did not get everything: " + seen);
        SocketChannel[] next = pair();
        assertTrue(hub.follow(next[0], Set.of()), "a new follower is welcome");
    }
}
