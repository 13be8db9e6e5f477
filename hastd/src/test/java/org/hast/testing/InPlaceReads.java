package org.hast.testing;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import org.hast.buffers.ReadTargetLender;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * Large messages fed to a decoder as a socket brings them: the header and the first payload
 * bytes in one read, the rest read into the buffer the decoder lends ({@link ReadTargetLender}).
 */
public final class InPlaceReads {
    private InPlaceReads() {
    }

    /** A direct buffer of {@code size} bytes, byte {@code i} being {@code i * 7}: a payload whose pieces can be checked. */
    public static ByteBuf patterned(int size) {
        ByteBuf data = PooledByteBufAllocator.DEFAULT.directBuffer(size);
        for (int i = 0; i < size; i++) {
            data.writeByte(i * 7);
        }
        return data;
    }

    /**
     * {@code count} messages: each is {@code head} (read again from its start), then {@code data}
     * from {@code first} on, written into the lent buffer; {@code afterEach} runs after each
     * one's read is complete.
     */
    public static void feed(EmbeddedChannel ch, ReadTargetLender decoder, ByteBuf head, ByteBuf data, int first,
                            int count, Runnable afterEach) {
        for (int i = 0; i < count; i++) {
            ch.pipeline().fireChannelRead(head.retain().readerIndex(0));
            ByteBuf lent = decoder.lendReadTarget();
            assertNotNull(lent);
            lent.writeBytes(data, first, data.readableBytes() - first); // as the socket would
            ch.pipeline().fireChannelRead(lent);
            ch.pipeline().fireChannelReadComplete();
            afterEach.run();
        }
    }
}
