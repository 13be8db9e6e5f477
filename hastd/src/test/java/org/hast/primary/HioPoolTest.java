package org.hast.primary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.hast.block.BlockBackend.Completion;
import org.hast.proto.HioCommand;
import org.junit.jupiter.api.Test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * The recycled request objects: a Hio given back is handed out again with nothing of the
 * previous request left in it, and one given back twice is refused, never handed to two
 * requests at once (their data and completions would mix).
 */
class HioPoolTest {
    private final List<Hio> marked = new ArrayList<>();
    private final HioPool pool = new HioPool(2, marked::add);

    @Test
    void aRecycledHioCarriesNothingOfTheLastRequest() {
        AtomicInteger firstAnswers = new AtomicInteger();
        ByteBuf data = Unpooled.wrappedBuffer(new byte[4096]);
        Hio first = pool.acquire(HioCommand.WRITE, 8192, 4096, data, errno -> firstAnswers.incrementAndGet());
        first.seq = 77;
        first.memsync = true;
        first.async = true;
        first.sync = true;
        first.remoteRead = true;
        first.toLocal = true;
        first.toRemote = true;
        first.startedNanos = 5;
        assertTrue(first.claimReceived());
        first.holdsBudget = true;
        first.localError = 0;
        first.remoteError = 0;
        first.expectComponents(2);
        assertTrue(first.componentDone() == false && first.memsyncEvent() == false && first.claimAck());
        pool.release(first);
        assertNull(first.data, "an idle Hio keeps the buffer reachable");
        assertNull(first.piece);

        Completion flushAnswer = errno -> { };
        Hio next = pool.acquire(HioCommand.FLUSH, 0, 0, null, flushAnswer);
        assertSame(first, next, "the pool hands out what it got back");
        assertEquals(HioCommand.FLUSH, next.cmd);
        assertEquals(0, next.offset);
        assertEquals(0, next.length);
        assertNull(next.data);
        assertSame(flushAnswer, next.piece);
        assertEquals(0, next.seq);
        assertFalse(next.memsync || next.async || next.sync || next.remoteRead || next.toLocal || next.toRemote,
                "routing flags of the previous request");
        assertTrue(next.claimReceived(), "the previous request's remote event must not count for this one");
        assertFalse(next.holdsBudget, "budget bytes the previous request held would be given back twice");
        assertEquals(0, next.startedNanos);
        assertEquals(Hio.EINVAL, next.localError, "a component that did not run must not read as a success");
        assertEquals(Hio.EINVAL, next.remoteError);
        assertTrue(next.claimAck(), "the previous request's answer must not block this one's");
        next.expectComponents(1);
        assertTrue(next.componentDone());
        assertFalse(next.memsyncEvent(), "memsync needs both events again");
        assertTrue(next.memsyncEvent());
        assertEquals(0, firstAnswers.get());
    }

    @Test
    void givingBackTwiceIsRefusedAndNeverSharesAHio() {
        Hio hio = pool.acquire(HioCommand.WRITE, 0, 512, null, errno -> { });
        pool.release(hio);
        assertThrows(IllegalStateException.class, () -> pool.release(hio));
        Hio a = pool.acquire(HioCommand.WRITE, 0, 512, null, errno -> { });
        Hio b = pool.acquire(HioCommand.WRITE, 512, 512, null, errno -> { });
        assertNotSame(a, b, "one Hio handed to two requests");
        assertEquals(512, a.length);
        assertEquals(512, b.offset);
    }

    @Test
    void anEmptyPoolMakesFreshOnesAndDoesNotKeepThem() {
        Hio a = pool.acquire(HioCommand.READ, 0, 512, null, errno -> { });
        Hio b = pool.acquire(HioCommand.READ, 0, 512, null, errno -> { });
        Hio extra = pool.acquire(HioCommand.READ, 0, 512, null, errno -> { });
        assertNull(extra.pool, "past the pool's size requests get their own Hio");
        assertEquals(0, pool.idle());
        pool.release(extra);
        pool.release(extra); // not the pool's: nothing to refuse, nothing kept
        assertEquals(0, pool.idle());
        pool.release(a);
        pool.release(b);
        assertEquals(2, pool.idle());
    }

    @Test
    void eachPooledHioRunsItsOwnStepAfterTheMark() {
        Hio a = pool.acquire(HioCommand.WRITE, 0, 512, null, errno -> { });
        Hio b = pool.acquire(HioCommand.WRITE, 512, 512, null, errno -> { });
        b.afterMark.run();
        a.afterMark.run();
        assertEquals(List.of(b, a), marked);
    }
}
