package org.hast.secondary;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.ReadTimeoutHandler;

/**
 * A primary silent for this long is gone (spec §4.8), except while we stopped reading it
 * ourselves because the disk is behind: then the silence is ours, and the link stays.
 */
final class ReceiveTimeout extends ReadTimeoutHandler {
    private final BooleanSupplier notReading;

    ReceiveTimeout(int seconds, BooleanSupplier notReading) {
        super(seconds, TimeUnit.SECONDS);
        this.notReading = notReading;
    }

    @Override
    protected void readTimedOut(ChannelHandlerContext ctx) throws Exception {
        if (!notReading.getAsBoolean()) {
            super.readTimedOut(ctx);
        }
    }
}
