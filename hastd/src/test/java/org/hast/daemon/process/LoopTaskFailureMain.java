package org.hast.daemon.process;

import org.hast.daemon.log.HastLogging;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;

/**
 * A JVM whose event loop (made as the worker makes {@code worker-io}) runs a task that throws,
 * for {@link FatalThreadsTest}: {@code error} throws an Error, {@code exception} a
 * RuntimeException. A later task prints "loop survived" and exits 0: what an Error must not
 * reach, and what an exception must.
 */
public final class LoopTaskFailureMain {
    private LoopTaskFailureMain() {
    }

    public static void main(String[] args) throws Exception {
        FatalThreads.installDefault();
        HastLogging.configureForeground(0);
        HastLogging.setPrefix("[r0] (primary) ");
        EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, FatalThreads.eventLoops("worker-io"),
                NioIoHandler.newFactory());
        boolean error = args[0].equals("error");
        loop.execute(() -> {
            if (error) {
                throw new OutOfMemoryError("injected failure");
            }
            throw new IllegalStateException("injected failure");
        });
        loop.execute(() -> {
            System.out.println("loop survived");
            System.out.flush();
            Runtime.getRuntime().halt(0);
        });
        Thread.sleep(60_000);
    }
}
