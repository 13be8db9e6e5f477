package org.hast.daemon.process;

import java.util.Set;

import org.slf4j.Marker;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * Netty catches whatever a task, a handler or the loop itself throws and only logs it at WARN
 * ("A task raised an exception", "Unexpected exception from an event executor", the pipeline's
 * tail): an event loop thread survives an Error that left its state broken, such as a direct
 * buffer allocation that failed halfway through resuming a connection, whose client then waits
 * forever. Netty has no hook for it, but every such report passes through logback: one of
 * these reports that carries an {@link Error} ends the process by {@link FatalThreads}' policy.
 * An exception (not an Error) stays what Netty makes of it: that connection's problem.
 */
final class NettyCaughtErrors extends TurboFilter {
    /**
     * Where Netty reports what it caught on a loop: a task, the loop itself, a promise's
     * listener, a handler (or its exceptionCaught) whose exception reached the pipeline's end.
     * Only these: elsewhere Netty logs Errors it expects, such as a native library it could not
     * load.
     */
    private static final Set<String> LOOP_REPORTS = Set.of(
            "io.netty.util.concurrent.AbstractEventExecutor",
            "io.netty.util.concurrent.SingleThreadEventExecutor",
            "io.netty.util.concurrent.DefaultPromise",
            "io.netty.channel.DefaultChannelPipeline",
            "io.netty.channel.AbstractChannelHandlerContext",
            "io.netty.channel.CombinedChannelDuplexHandler",
            "io.netty.channel.epoll.EpollIoHandler",
            "io.netty.channel.nio.NioIoHandler");

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params,
            Throwable t) {
        // Called for every log call, enabled or not: the cheap tests first.
        if (level == null || level.levelInt < Level.WARN_INT || !LOOP_REPORTS.contains(logger.getName())) {
            return FilterReply.NEUTRAL;
        }
        Throwable thrown = t;
        if (thrown == null && params != null && params.length > 0 && params[params.length - 1] instanceof Throwable) {
            thrown = (Throwable) params[params.length - 1];
        }
        if (thrown instanceof Error) {
            FatalThreads.die(Thread.currentThread(), thrown);
        }
        return FilterReply.NEUTRAL;
    }
}
