package org.hast.primary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.hast.proto.HioCommand;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The in-flight table against a plain map, and what sending and matching a request allocates. */
class InflightTableTest {
    private static Hio hio() {
        return new Hio(HioCommand.WRITE, 0, 0, null, errno -> { });
    }

    @Test
    void behavesAsAMapUnderRandomTraffic() {
        InflightTable table = new InflightTable(8);
        Map<Long, Hio> model = new HashMap<>();
        List<Long> live = new ArrayList<>();
        Random random = new Random(15);
        long next = Long.MAX_VALUE - 5000; // wraps around to negative sequence numbers on the way
        for (int step = 0; step < 200_000; step++) {
            int action = random.nextInt(10);
            if (action < 5 || live.isEmpty()) {
                Hio hio = hio();
                table.put(next, hio);
                model.put(next, hio);
                live.add(next);
                next++;
            } else if (action < 8) {
                // Mostly the oldest (replies in order), sometimes any: some stay in flight for long.
                int at = random.nextInt(4) == 0 ? random.nextInt(live.size()) : 0;
                long seq = live.remove(at);
                assertSame(model.remove(seq), table.remove(seq));
            } else if (action < 9) {
                long seq = live.get(random.nextInt(live.size()));
                assertFalse(table.remove(seq, hio()), "removed for another request");
                assertSame(model.get(seq), table.get(seq));
            } else {
                assertNull(table.get(next + 1000));
                assertNull(table.remove(next + 1000));
            }
            assertEquals(model.size(), table.size());
        }
        for (long seq : live) {
            assertSame(model.get(seq), table.get(seq));
        }
        int swept = 0;
        while (table.removeAny() != null) {
            swept++;
        }
        assertEquals(model.size(), swept);
        assertTrue(table.isEmpty());
    }

    @Test
    void growsPastItsExpectedSize() {
        InflightTable table = new InflightTable(8);
        Hio[] hios = new Hio[1000];
        for (int i = 0; i < hios.length; i++) {
            hios[i] = hio();
            table.put(i * 7L, hios[i]);
        }
        for (int i = 0; i < hios.length; i++) {
            assertTrue(table.remove(i * 7L, hios[i]));
        }
        assertTrue(table.isEmpty());
    }

    @Test
    void sendingAndMatchingAllocatesNothing() {
        Object bean = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(bean instanceof com.sun.management.ThreadMXBean, "no per-thread allocation counter");
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) bean;
        Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported());
        threads.setThreadAllocatedMemoryEnabled(true);
        InflightTable table = new InflightTable(256);
        Hio[] window = new Hio[256];
        for (int i = 0; i < window.length; i++) {
            window[i] = hio();
        }
        long seq = 1000; // past the small boxed values a map would take from the cache
        long least = Long.MAX_VALUE;
        for (int round = 0; round < 10; round++) {
            long before = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
            for (int i = 0; i < 10_000; i++, seq++) {
                table.put(seq, window[(int) (seq % window.length)]);
                if (seq >= 1000 + 200) {
                    table.remove(seq - 200);
                }
            }
            least = Math.min(least, threads.getThreadAllocatedBytes(Thread.currentThread().getId()) - before);
        }
        assertTrue(least < 1000, least + " bytes allocated for 10000 requests");
    }
}
