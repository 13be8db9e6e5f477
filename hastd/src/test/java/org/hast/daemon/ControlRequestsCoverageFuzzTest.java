package org.hast.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

import org.hast.control.ControlCodes;
import org.hast.daemon.control.ControlServer;
import org.hast.nv.NvFormatException;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.hast.proto.FrameException;
import org.hast.proto.Frames;
import org.junit.jupiter.api.BeforeAll;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided control requests, as hastd reads them from its control socket
 * (docs/fuzzing.md): header and nv with the server's cap, then {@link ControlRequests}. With
 * no resource configured nothing is ever started, so every path through the request's
 * fields is safe to take: no exception may escape, a request without {@code cmd} gets no
 * reply, {@code stop} stops and nothing else does, and every other reply is either one
 * top-level error or one entry per requested name, echoed with EHAST_NOENTRY.
 */
class ControlRequestsCoverageFuzzTest {
    private static final AtomicInteger STOPS = new AtomicInteger();
    private static ControlRequests requests;

    @BeforeAll
    static void setUp() {
        ((Logger) LoggerFactory.getLogger(ControlRequests.class)).setLevel(Level.OFF);
        requests = new ControlRequests(new Resources(null, null, null, new org.hast.daemon.events.EventHub(), 0, "/dev/hast",
                "/var/lib/hast"),
                reply -> STOPS.incrementAndGet());
    }

    @FuzzTest
    void handle(byte[] input) throws NvFormatException {
        NvMessage request;
        try {
            request = Frames.decode(ByteBuffer.wrap(input), ControlServer.MAX_REQUEST_BYTES).nv();
        } catch (FrameException | NvFormatException e) {
            assertTrue(e.getMessage() != null && !e.getMessage().contains("\n"), e.getMessage());
            return;
        }
        int stopsBefore = STOPS.get();
        NvWriter writer = requests.handle(request).join();
        int cmd = request.getUint8("cmd");
        assertEquals(cmd == ControlCodes.CMD_STOP ? 1 : 0, STOPS.get() - stopsBefore, "stopped");
        if (cmd == 0) {
            assertNull(writer, "no reply to a request without cmd");
            return;
        }
        NvMessage reply = NvMessage.decode(writer.encode());
        if (cmd == ControlCodes.CMD_STOP) {
            assertEquals(0, reply.size());
            return;
        }
        if (reply.has("error")) {
            assertEquals(1, reply.size(), reply.dump());
            int error = reply.getInt16("error");
            assertTrue(error == ControlCodes.EHAST_INVALID || error == ControlCodes.EHAST_UNIMPLEMENTED,
                    "error " + error);
            return;
        }
        // "all" names no resource here; any other list is echoed name by name
        int names = "all".equals(request.getString("resource0")) ? 0 : countNames(request);
        assertEquals(2 * names, reply.size(), reply.dump());
        for (int i = 0; i < names; i++) {
            assertEquals(request.getString("resource" + i), reply.getString("resource" + i));
            assertEquals(ControlCodes.EHAST_NOENTRY, reply.getInt16("error" + i));
        }
    }

    private static int countNames(NvMessage request) {
        int n = 0;
        while (request.getString("resource" + n) != null) {
            n++;
        }
        return n;
    }
}
