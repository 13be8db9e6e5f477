package org.hast.daemon.process;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class LoopErrorsTest {
    /** Closes on a failure, as the link's and the export's handlers do. */
    private static final class ClosingHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (LoopErrors.passedOn(ctx, cause)) {
                return;
            }
            ctx.close();
        }
    }

    @Test
    void anErrorReachesThePipelinesEndWhereNettyReportsIt() {
        EmbeddedChannel channel = new EmbeddedChannel(new ClosingHandler());
        OutOfMemoryError error = new OutOfMemoryError("Cannot reserve 33554432 bytes of direct buffer memory");
        channel.pipeline().fireExceptionCaught(error);
        assertSame(error, assertThrows(OutOfMemoryError.class, channel::checkException));
        assertTrue(channel.isOpen(), "the handler left the channel alone");
        channel.finishAndReleaseAll();
    }

    @Test
    void anExceptionStaysTheConnectionsProblem() {
        EmbeddedChannel channel = new EmbeddedChannel(new ClosingHandler());
        channel.pipeline().fireExceptionCaught(new IOException("Connection reset by peer"));
        channel.checkException();
        assertFalse(channel.isOpen());
    }
}
