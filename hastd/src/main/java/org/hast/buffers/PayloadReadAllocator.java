package org.hast.buffers;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelConfig;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;

/**
 * The channel's receive-buffer allocator with one change: while a decoder ({@link
 * ReadTargetLender}: the replication link's frames, the NBD export's WRITEs) is filling a large
 * payload, the socket reads go straight into that payload's missing part instead of a buffer
 * the decoder would copy from. Everything else (how much to read, when to
 * stop) stays with the channel's own allocator.
 *
 * <p>The other buffers come from Netty's pooled allocator, whatever the channel's: the adaptive
 * allocator (Netty 4.2's default) pools nothing above 16 KiB in a JVM of 512 MiB heap or less,
 * as a worker is, so each socket read of 64 KiB was a fresh {@code allocateDirect} that the
 * JVM zeroed, the C heap gave back ({@code madvise}) and a cleaner freed (issue #15: the
 * secondary's largest allocation site and 5 % of its CPU per 4 KiB write at qd32).
 *
 * <p>Safe because the channel fires each read buffer through the pipeline before it allocates
 * the next one, so the decoder sees the lent buffer come back before lending it again, and
 * because the decoder lends nothing when a handler in front of it (TLS) would consume the
 * raw bytes instead.
 */
public final class PayloadReadAllocator implements RecvByteBufAllocator {
    /**
     * {@code -Dhast.link.pooledReads=false} reads into the channel's own allocator again, for
     * an A/B run (bench/README.md).
     */
    public static final boolean POOLED_READS = Boolean.parseBoolean(System.getProperty("hast.link.pooledReads", "true"));
    private final RecvByteBufAllocator channelAllocator;
    private final ReadTargetLender decoder;

    /** Null: the channel's own allocator for the reads not lent. */
    private final ByteBufAllocator readAllocator;

    /** The replication link's: reads not lent come from the pooled allocator (see above). */
    public PayloadReadAllocator(RecvByteBufAllocator channelAllocator, ReadTargetLender decoder) {
        this(channelAllocator, decoder, POOLED_READS ? PooledByteBufAllocator.DEFAULT : null);
    }

    /** @param readAllocator for the reads not lent; null: the channel's */
    public PayloadReadAllocator(RecvByteBufAllocator channelAllocator, ReadTargetLender decoder,
            ByteBufAllocator readAllocator) {
        this.channelAllocator = channelAllocator;
        this.decoder = decoder;
        this.readAllocator = readAllocator;
    }

    @Override
    public Handle newHandle() {
        Handle handle = channelAllocator.newHandle();
        // epoll requires an ExtendedHandle; any other kind is left as it is (no lending)
        return handle instanceof ExtendedHandle extended ? new Lending(extended, decoder, readAllocator) : handle;
    }

    private static final class Lending implements ExtendedHandle {
        private final ExtendedHandle delegate;
        private final ReadTargetLender decoder;
        private final ByteBufAllocator readAllocator;

        Lending(ExtendedHandle delegate, ReadTargetLender decoder, ByteBufAllocator readAllocator) {
            this.delegate = delegate;
            this.decoder = decoder;
            this.readAllocator = readAllocator;
        }

        @Override
        public ByteBuf allocate(ByteBufAllocator alloc) {
            ByteBuf target = decoder.lendReadTarget();
            if (target != null) {
                return target;
            }
            return delegate.allocate(readAllocator != null ? readAllocator : alloc);
        }

        @Override
        public int guess() {
            return delegate.guess();
        }

        @Override
        public void reset(ChannelConfig config) {
            delegate.reset(config);
        }

        @Override
        public void incMessagesRead(int numMessages) {
            delegate.incMessagesRead(numMessages);
        }

        @Override
        public void lastBytesRead(int bytes) {
            delegate.lastBytesRead(bytes);
        }

        @Override
        public int lastBytesRead() {
            return delegate.lastBytesRead();
        }

        @Override
        public void attemptedBytesRead(int bytes) {
            delegate.attemptedBytesRead(bytes);
        }

        @Override
        public int attemptedBytesRead() {
            return delegate.attemptedBytesRead();
        }

        @Override
        public boolean continueReading() {
            return delegate.continueReading();
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
            return delegate.continueReading(maybeMoreDataSupplier);
        }

        @Override
        public void readComplete() {
            delegate.readComplete();
        }
    }
}
