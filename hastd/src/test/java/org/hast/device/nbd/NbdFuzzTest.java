package org.hast.device.nbd;

import static org.hast.device.nbd.NbdProtocol.*;
import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.hast.device.nbd.NbdTestClient.OptionReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;

/**
 * Generated malformed input, seeded (the seed is printed; rerun with -Dnbd.fuzz.seed=N):
 * random and mutated handshakes and requests, each checked against an independent model of
 * what the server must answer (a reply type, an errno, or a closed connection), while a good
 * client keeps writing and verifying its own region. Afterwards: no leaked buffer, and the
 * server still accepts.
 */
@Timeout(60)
@ExtendWith(NbdLeaks.class)
class NbdFuzzTest {
    private static final long SIZE = 1 << 20;
    /** The good client's region; fuzzed writes that may succeed stay above it. */
    private static final int GOOD_REGION = 64 * 1024;
    private static final int HANDSHAKE_CASES = 2500;
    private static final int REQUEST_CASES = 9000;
    private static final int CLOSED = -1;

    @TempDir
    Path dir;

    @Test
    void malformedHandshakesAndRequests() throws Exception {
        long seed = Long.getLong("nbd.fuzz.seed", System.nanoTime());
        System.out.println("NbdFuzzTest seed " + seed + " (rerun with -Dnbd.fuzz.seed=" + seed + ")");
        Random rnd = new Random(seed);
        Logger nbdLog = (Logger) LoggerFactory.getLogger("org.hast.device.nbd");
        Level before = nbdLog.getLevel();
        nbdLog.setLevel(Level.ERROR); // thousands of expected protocol-violation warnings
        try (NbdFixture fx = new NbdFixture(dir, SIZE)) {
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicReference<Throwable> goodFailure = new AtomicReference<>();
            AtomicLong goodRounds = new AtomicLong();
            Thread good = new Thread(() -> goodClient(fx, seed, running, goodFailure, goodRounds), "good-client");
            good.start();
            int cases = 0;
            try {
                for (int i = 0; i < HANDSHAKE_CASES; i++) {
                    cases += handshakeCase(fx, rnd, "seed " + seed + " handshake case " + i);
                }
                int done = 0;
                while (done < REQUEST_CASES) {
                    done += requestSession(fx, rnd, "seed " + seed + " request session at case " + done);
                }
                cases += done;
            } finally {
                running.set(false);
                good.join();
            }
            assertNull(goodFailure.get(), () -> "good client failed: " + goodFailure.get());
            assertTrue(goodRounds.get() > 10, "the good client made progress: " + goodRounds.get());
            System.out.println("NbdFuzzTest: " + cases + " cases, " + goodRounds.get() + " good-client rounds");
            assertTrue(cases >= 10_000, "cases: " + cases);
            try (NbdTestClient after = fx.transmitting()) {
                assertEquals(0, after.write(0, new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, 0));
                assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, after.read(0, 8),
                        "the server still accepts and serves");
            }
        } finally {
            nbdLog.setLevel(before);
        }
    }

    private static void goodClient(NbdFixture fx, long seed, AtomicBoolean running, AtomicReference<Throwable> failure,
            AtomicLong rounds) {
        Random rnd = new Random(~seed);
        try (NbdTestClient c = fx.transmitting()) {
            c.timeoutMs = 20_000;
            byte[] block = new byte[4096];
            while (running.get()) {
                rnd.nextBytes(block);
                long offset = rnd.nextInt(GOOD_REGION / 4096) * 4096L;
                assertEquals(0, c.write(offset, block, rnd.nextBoolean() ? CMD_FLAG_FUA : 0));
                assertArrayEquals(block, c.read(offset, block.length));
                rounds.incrementAndGet();
            }
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
        }
    }

    // --- handshakes ------------------------------------------------------------------------

    /** One connection with a random handshake; returns the number of checked cases (options). */
    private static int handshakeCase(NbdFixture fx, Random rnd, String what) throws IOException {
        try (NbdTestClient c = fx.client()) {
            c.readGreeting();
            int flags = rnd.nextInt(10) == 0 ? rnd.nextInt() : rnd.nextInt(4);
            c.sendClientFlags(flags);
            if ((flags & ~CLIENT_KNOWN_FLAGS) != 0) {
                assertTrue(c.closedByServer(), what + ": unknown client flags");
                return 1;
            }
            boolean noZeroes = (flags & CLIENT_NO_ZEROES) != 0;
            int options = 1 + rnd.nextInt(4);
            for (int n = 0; n < options; n++) {
                int code = optionCode(rnd);
                byte[] data = optionData(rnd, code);
                int kind = rnd.nextInt(30);
                if (kind == 0) {
                    // vanish in the middle of the option data
                    ByteBuffer b = ByteBuffer.allocate(16 + 10).putLong(IHAVEOPT).putInt(code).putInt(5000);
                    c.send(b.put(new byte[10]));
                    return n + 1;
                }
                if (kind == 1) {
                    ByteBuffer b = ByteBuffer.allocate(16).putLong(IHAVEOPT ^ (1L << rnd.nextInt(64))).putInt(code)
                            .putInt(0);
                    c.send(b);
                    assertTrue(c.closedByServer(), what + ": bad option magic");
                    return n + 1;
                }
                if (kind == 2) {
                    data = new byte[MAX_OPTION_BYTES + 1 + rnd.nextInt(3000)];
                }
                c.sendOption(code, data);
                int outcome = expectOption(c, code, data, noZeroes, what + " option " + n + " code " + code);
                if (outcome != 0) {
                    if (outcome == 2) {
                        // in transmission: it must work
                        assertArrayEquals(new byte[1], c.read(SIZE - 1, 1), what + ": transmission after GO");
                    }
                    return n + 1;
                }
            }
            return options;
        }
    }

    private static int optionCode(Random rnd) {
        int[] known = {OPT_EXPORT_NAME, OPT_ABORT, OPT_LIST, OPT_STARTTLS, OPT_INFO, OPT_GO, OPT_STRUCTURED_REPLY,
            OPT_LIST_META_CONTEXT, OPT_SET_META_CONTEXT, OPT_EXTENDED_HEADERS};
        int pick = rnd.nextInt(14);
        return pick < known.length ? known[pick] : (pick == 13 ? rnd.nextInt() : rnd.nextInt(64));
    }

    private static byte[] optionData(Random rnd, int code) {
        if (code == OPT_EXPORT_NAME) {
            String[] names = {"", NbdFixture.EXPORT, "nope", "res0 "};
            return names[rnd.nextInt(names.length)].getBytes(StandardCharsets.UTF_8);
        }
        if (code == OPT_INFO || code == OPT_GO) {
            String[] names = {"", NbdFixture.EXPORT, "nope"};
            int[] requests = new int[rnd.nextInt(4)];
            for (int i = 0; i < requests.length; i++) {
                requests[i] = rnd.nextInt(5) == 0 ? rnd.nextInt(65536) : rnd.nextInt(4);
            }
            byte[] data = NbdTestClient.infoData(names[rnd.nextInt(names.length)], requests);
            switch (rnd.nextInt(6)) {
                case 0:
                    return Arrays.copyOf(data, rnd.nextInt(data.length + 1)); // truncated
                case 1:
                    return Arrays.copyOf(data, data.length + 1 + rnd.nextInt(3)); // trailing bytes
                case 2:
                    data[rnd.nextInt(data.length)] ^= (byte) (1 << rnd.nextInt(8)); // a flipped bit
                    return data;
                default:
                    return data;
            }
        }
        byte[] data = new byte[rnd.nextInt(3) == 0 ? rnd.nextInt(64) : 0];
        rnd.nextBytes(data);
        return data;
    }

    /**
     * Reads and checks the answer to one option. Returns 0 to go on negotiating, 1 when the
     * connection was (rightly) closed, 2 when it entered transmission.
     */
    private static int expectOption(NbdTestClient c, int code, byte[] data, boolean noZeroes, String what)
            throws IOException {
        if (data.length > MAX_OPTION_BYTES) {
            if (code == OPT_EXPORT_NAME) {
                assertTrue(c.closedByServer(), what);
                return 1;
            }
            assertReply(c.readOptionReply(), code, REP_ERR_TOO_BIG, what);
            return 0;
        }
        switch (code) {
            case OPT_EXPORT_NAME: {
                String name = new String(data, StandardCharsets.UTF_8);
                if (!name.isEmpty() && !name.equals(NbdFixture.EXPORT)) {
                    assertTrue(c.closedByServer(), what + ": unknown EXPORT_NAME");
                    return 1;
                }
                ByteBuffer r = c.readFully(noZeroes ? 10 : 134);
                assertEquals(SIZE, r.getLong(), what);
                return 2;
            }
            case OPT_ABORT:
                assertReply(c.readOptionReply(), code, REP_ACK, what);
                assertTrue(c.closedByServer(), what + ": ABORT");
                return 1;
            case OPT_LIST:
                if (data.length != 0) {
                    assertReply(c.readOptionReply(), code, REP_ERR_INVALID, what);
                } else {
                    assertReply(c.readOptionReply(), code, REP_SERVER, what);
                    assertReply(c.readOptionReply(), code, REP_ACK, what);
                }
                return 0;
            case OPT_INFO:
            case OPT_GO: {
                int expected = modelInfo(data);
                if (expected != REP_ACK) {
                    assertReply(c.readOptionReply(), code, expected, what);
                    return 0;
                }
                int infos = 0;
                OptionReply r;
                while ((r = c.readOptionReply()).type == REP_INFO) {
                    assertEquals(code, r.option, what);
                    infos++;
                }
                assertReply(r, code, REP_ACK, what);
                assertTrue(infos >= 2, what + ": INFO_EXPORT and INFO_BLOCK_SIZE at least");
                return code == OPT_GO ? 2 : 0;
            }
            default:
                assertReply(c.readOptionReply(), code, REP_ERR_UNSUP, what);
                return 0;
        }
    }

    /** What INFO/GO data must get: ERR_INVALID, ERR_UNKNOWN, or success (ACK). */
    private static int modelInfo(byte[] data) {
        if (data.length < 6) {
            return REP_ERR_INVALID;
        }
        ByteBuffer b = ByteBuffer.wrap(data);
        long nameLength = b.getInt() & 0xffffffffL;
        if (nameLength + 6 > data.length) {
            return REP_ERR_INVALID;
        }
        byte[] name = new byte[(int) nameLength];
        b.get(name);
        int count = b.getShort() & 0xffff;
        if (b.remaining() != 2 * count) {
            return REP_ERR_INVALID;
        }
        String n = new String(name, StandardCharsets.UTF_8);
        boolean ours = name.length == 0 || Arrays.equals(name, NbdFixture.EXPORT.getBytes(StandardCharsets.UTF_8));
        return ours ? REP_ACK : (n.isEmpty() ? REP_ACK : REP_ERR_UNKNOWN);
    }

    private static void assertReply(OptionReply r, int code, int type, String what) {
        assertEquals(code, r.option, what + ": echoed option");
        assertEquals(type, r.type, what + ": reply type");
    }

    // --- requests --------------------------------------------------------------------------

    /** One connection in transmission fed random requests until one must close it; returns cases checked. */
    private static int requestSession(NbdFixture fx, Random rnd, String what) throws IOException {
        int cases = 0;
        try (NbdTestClient c = fx.transmitting()) {
            long cookie = 0;
            while (cases < 2000) {
                int batch = 1 + rnd.nextInt(8);
                Map<Long, long[]> expected = new HashMap<>(); // cookie -> {errno, data length}
                for (int i = 0; i < batch; i++) {
                    long id = ++cookie;
                    int outcome = sendRandomRequest(c, rnd, id, expected);
                    cases++;
                    if (outcome == CLOSED) {
                        // The stream cannot be trusted any more, so the server closes at once;
                        // replies still in flight may or may not make it, but each one that
                        // does must be right.
                        try {
                            drainExpected(c, expected, what);
                        } catch (java.io.EOFException | java.net.SocketException closed) { // EOF or reset
                            return cases;
                        }
                        assertTrue(c.closedByServer(), what + ": must close after cookie " + id);
                        return cases;
                    }
                    if (outcome == -2) {
                        return cases; // the client vanished mid-payload
                    }
                }
                drainExpected(c, expected, what);
            }
        }
        return cases;
    }

    private static void drainExpected(NbdTestClient c, Map<Long, long[]> expected, String what) throws IOException {
        while (!expected.isEmpty()) {
            long[] reply = c.readReply();
            long[] want = expected.remove(reply[1]);
            assertNotNull(want, what + ": reply for an unknown cookie " + reply[1]);
            assertEquals(want[0], reply[0], what + ": errno for cookie " + reply[1]);
            if (reply[0] == 0 && want[1] > 0) {
                c.readFully((int) want[1]);
            }
        }
    }

    /** Sends one request; returns 0, CLOSED when the server must close, or -2 after vanishing. */
    private static int sendRandomRequest(NbdTestClient c, Random rnd, long cookie, Map<Long, long[]> expected)
            throws IOException {
        int[] valid = {CMD_READ, CMD_WRITE, CMD_FLUSH, CMD_TRIM, CMD_WRITE_ZEROES};
        int pick = rnd.nextInt(20);
        int type = pick < 15 ? valid[pick % valid.length]
                : pick < 17 ? CMD_CACHE + 2 * rnd.nextInt(2) : rnd.nextInt(65536);
        if (type == CMD_DISC) {
            type = CMD_READ;
        }
        int flags = rnd.nextInt(3) == 0 ? (rnd.nextBoolean() ? rnd.nextInt(65536) : 1 << rnd.nextInt(5)) : 0;
        long offset;
        long length;
        switch (rnd.nextInt(6)) {
            case 0:
                offset = SIZE - rnd.nextInt(4096);
                length = rnd.nextInt(8192);
                break;
            case 1:
                offset = rnd.nextLong();
                length = rnd.nextInt(4096);
                break;
            case 2:
                offset = GOOD_REGION;
                length = rnd.nextInt() & 0xffffffffL;
                break;
            default:
                offset = GOOD_REGION + rnd.nextInt((int) SIZE - GOOD_REGION);
                length = rnd.nextInt(16384);
        }
        int magicMutation = rnd.nextInt(200);
        if (magicMutation == 0) {
            ByteBuffer b = ByteBuffer.allocate(REQUEST_HEADER_BYTES).putInt(REQUEST_MAGIC ^ (1 << rnd.nextInt(32)))
                    .putShort((short) flags).putShort((short) type).putLong(cookie).putLong(offset).putInt((int) length);
            c.send(b);
            return CLOSED;
        }
        if (type == CMD_WRITE) {
            if (length > MAX_PAYLOAD_BYTES) {
                c.sendRequest(flags, type, cookie, offset, length, new byte[rnd.nextInt(100)]);
                return CLOSED;
            }
            if (length > 65536) {
                length = rnd.nextInt(65536);
            }
            if (magicMutation == 1 && length > 1) {
                // vanish mid-payload
                c.sendRequest(flags, type, cookie, offset, length, new byte[(int) length / 2]);
                return -2;
            }
            byte[] payload = new byte[(int) length];
            rnd.nextBytes(payload);
            expected.put(cookie, new long[] {model(flags, type, offset, length), 0});
            c.sendRequest(flags, type, cookie, offset, length, payload);
            return 0;
        }
        int errno = model(flags, type, offset, length);
        expected.put(cookie, new long[] {errno, type == CMD_READ && errno == 0 ? length : 0});
        c.sendRequest(flags, type, cookie, offset, length, null);
        return 0;
    }

    /** The errno the NBD rules give a request (restated from doc/proto.md, not from the server). */
    private static int model(int flags, int type, long offset, long length) {
        int allowed;
        switch (type) {
            case CMD_READ:
            case CMD_WRITE:
            case CMD_FLUSH:
            case CMD_TRIM:
                allowed = CMD_FLAG_FUA;
                break;
            case CMD_WRITE_ZEROES:
                allowed = CMD_FLAG_FUA | CMD_FLAG_NO_HOLE | CMD_FLAG_FAST_ZERO;
                break;
            default:
                return EINVAL;
        }
        if ((flags & ~allowed) != 0) {
            return EINVAL;
        }
        if (type == CMD_FLUSH) {
            return 0;
        }
        if (type == CMD_READ && length > MAX_PAYLOAD_BYTES) {
            return EINVAL;
        }
        boolean fits = offset >= 0 && offset <= SIZE && length <= SIZE - offset;
        if (!fits) {
            return type == CMD_WRITE || type == CMD_WRITE_ZEROES ? ENOSPC : EINVAL;
        }
        if (type == CMD_WRITE_ZEROES && (flags & CMD_FLAG_FAST_ZERO) != 0 && (flags & CMD_FLAG_NO_HOLE) != 0) {
            return ENOTSUP;
        }
        return 0;
    }
}
