package org.hast.primary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import org.hast.link.HastFrameEncoder;
import org.hast.link.OutgoingFrame;
import org.hast.nv.NvWriter;
import org.junit.jupiter.api.Test;

/** Requests go out with the void promise; a failed write must still end the connection. */
class WriteFailureCloserTest {

    /** Fails every write as a broken socket would, and counts the attempts. */
    private static final class BrokenSocket extends ChannelOutboundHandlerAdapter {
        final AtomicInteger writes = new AtomicInteger();

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            writes.incrementAndGet();
            io.netty.util.ReferenceCountUtil.release(msg);
            promise.setFailure(new IOException("Broken pipe"));
        }
    }

    @Test
    void aWriteThatFailsWithTheVoidPromiseClosesTheConnection() {
        BrokenSocket socket = new BrokenSocket();
        EmbeddedChannel out = new EmbeddedChannel(socket, HastFrameEncoder.INSTANCE, WriteFailureCloser.INSTANCE);
        OutgoingFrame frame = new OutgoingFrame(2, new NvWriter().addUint8("cmd", 2),
                Unpooled.wrappedBuffer(new byte[4096]));
        out.write(frame, out.voidPromise());
        out.flush();
        assertTrue(socket.writes.get() > 0, "the frame reached the socket");
        assertFalse(out.isActive(), "the connection is closed after the failed write");
        assertEquals(0, frame.refCnt(), "the payload was released");
        out.finishAndReleaseAll();
    }

    @Test
    void withoutItTheFailureWouldGoUnnoticed() {
        BrokenSocket socket = new BrokenSocket();
        EmbeddedChannel out = new EmbeddedChannel(socket, HastFrameEncoder.INSTANCE);
        out.write(new OutgoingFrame(2, new NvWriter().addUint8("cmd", 4)), out.voidPromise());
        out.flush();
        // The exception reaches the pipeline's tail (EmbeddedChannel records it) and nothing closes the channel:
        // that is the gap the handler fills.
        assertTrue(out.isActive());
        out.close();
    }

    @Test
    void anErrorIsTheProcesssProblemNotTheConnections() {
        EmbeddedChannel out = new EmbeddedChannel(WriteFailureCloser.INSTANCE);
        out.pipeline().fireExceptionCaught(new OutOfMemoryError("Direct buffer memory"));
        org.junit.jupiter.api.Assertions.assertThrows(OutOfMemoryError.class, out::checkException,
                "passed on to the pipeline's end, where Netty's report ends the process");
        assertTrue(out.isActive());
        out.close();
    }
}
