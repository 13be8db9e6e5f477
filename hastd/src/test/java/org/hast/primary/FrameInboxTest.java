package org.hast.primary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.hast.link.HastFrame;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.junit.jupiter.api.Test;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * The handshake's inbox (issue #20): a peer cannot grow it without bound, and frames left in it
 * are released when it goes.
 */
class FrameInboxTest {
    private static HastFrame frame() throws Exception {
        NvMessage nv = NvMessage.decode(new NvWriter().addString("x", "y").encode());
        return new HastFrame(1, nv, Unpooled.directBuffer(16).writeZero(16));
    }

    @Test
    void peerSendingMoreThanTheHandshakeTakesIsCutOff() throws Exception {
        FrameInbox inbox = new FrameInbox();
        EmbeddedChannel channel = new EmbeddedChannel(inbox);
        List<HastFrame> sent = new ArrayList<>();
        for (int i = 0; i <= FrameInbox.CAPACITY; i++) {
            HastFrame f = frame();
            sent.add(f);
            channel.writeInbound(f);
        }
        assertFalse(channel.isActive(), "the connection is closed, not the queue grown");
        for (HastFrame f : sent) {
            assertEquals(0, f.refCnt(), "every frame released, the queued ones with the connection");
        }
        IOException e = assertThrows(IOException.class, () -> inbox.take(1));
        assertTrue(e.getMessage().contains("more than " + FrameInbox.CAPACITY), e.getMessage());
    }

    @Test
    void removedInboxReleasesWhatNobodyTook() throws Exception {
        FrameInbox inbox = new FrameInbox();
        EmbeddedChannel channel = new EmbeddedChannel(inbox);
        HastFrame left = frame();
        channel.writeInbound(left);
        channel.pipeline().remove(inbox);
        assertEquals(0, left.refCnt());
        HastFrame later = frame();
        channel.writeInbound(later);
        assertEquals(later, channel.readInbound(), "passed on to the tail (which releases it), not kept");
        later.release();
        assertThrows(IOException.class, () -> inbox.take(1), "a late taker is told, not left waiting");
        channel.finishAndReleaseAll();
    }

    @Test
    void anAnswerFollowedByTheCloseReachesTheWaiter() throws Exception {
        // A refused primary: the peer's errmsg and its EOF arrive together, and the pipeline is
        // torn down before the handshake thread takes the errmsg (LinkAuthHandshakeTest's rare
        // "close before the errmsg"; every time with NIO in ReplicationLinkIT).
        FrameInbox inbox = new FrameInbox();
        EmbeddedChannel channel = new EmbeddedChannel(inbox);
        HastFrame answer = frame();
        channel.writeInbound(answer);
        channel.close();
        HastFrame taken = inbox.take(1);
        assertEquals(answer, taken, "the answer, not the close");
        taken.release();
        assertThrows(IOException.class, () -> inbox.take(1), "then the close");
    }

    @Test
    void framesAfterTheWaiterGaveUpAreReleased() throws Exception {
        FrameInbox inbox = new FrameInbox();
        EmbeddedChannel channel = new EmbeddedChannel(inbox);
        assertThrows(IOException.class, () -> inbox.take(1));
        HastFrame late = frame();
        channel.writeInbound(late);
        channel.close();
        assertEquals(0, late.refCnt());
    }
}
