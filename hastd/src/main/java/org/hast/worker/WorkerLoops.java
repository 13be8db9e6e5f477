package org.hast.worker;

import java.util.concurrent.TimeUnit;

import org.hast.daemon.process.FatalThreads;
import org.hast.transport.Transport;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;

/**
 * The primary worker's event loops (docs/threads.md). By default one thread serves the
 * replication link, the NBD export and the kernel NBD device: a client's request is decoded,
 * and its frame to the secondary written, on that thread, and the secondary's reply completes
 * the request and writes the client's answer there too, with no hand-off between threads (a
 * hot-set 4 KiB write at qd1 took 85 µs instead of 125, quiet A/B).
 * {@code hast.worker.sharedLoop=false} gives the link a loop of its own and the export and the
 * device theirs (for an A/B run, bench/build-ab.sh).
 */
final class WorkerLoops implements AutoCloseable {
    static final String SHARED_PROPERTY = "hast.worker.sharedLoop";

    private final EventLoopGroup link;
    private final boolean shared;

    WorkerLoops() {
        this(Boolean.parseBoolean(System.getProperty(SHARED_PROPERTY, "true")));
    }

    WorkerLoops(boolean shared) {
        this.shared = shared;
        this.link = new MultiThreadIoEventLoopGroup(1, FatalThreads.eventLoops(shared ? "worker-io" : "remote-link"),
                Transport.current().ioHandlerFactory());
    }

    /** The replication link's connections and the frames written on them. */
    EventLoopGroup link() {
        return link;
    }

    /** For the export's and the device's channels: the link's loop when shared, else null (their own). */
    EventLoopGroup clients() {
        return shared ? link : null;
    }

    /**
     * For the kernel NBD device, whose channel is always epoll's: the shared loop only when it
     * is epoll too.
     */
    EventLoopGroup kernelDevice() {
        return shared && "epoll".equals(Transport.current().name()) ? link : null;
    }

    /** After everything that uses the loops has closed. */
    @Override
    public void close() {
        link.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
