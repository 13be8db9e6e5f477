package org.hast.primary;

import java.util.function.Consumer;

import org.hast.block.BlockBackend.Completion;

/**
 * Cuts a client request into HAST requests of at most {@code max} bytes; the client's
 * completion runs once all of them are answered, with the first error any of them had.
 */
final class RequestSplitter {
    private RequestSplitter() {
    }

    @FunctionalInterface
    interface ChunkFactory {
        Hio make(long offset, int length, Completion piece);
    }

    static void split(long offset, long length, int max, Completion whole, ChunkFactory factory,
            Consumer<Hio> submit, SplitCompletions shares) {
        if (length <= max) {
            submit.accept(factory.make(offset, (int) length, whole));
            return;
        }
        Completion share = shares.of(whole, pieces(length, max));
        for (long at = offset; at < offset + length; at += max) {
            submit.accept(factory.make(at, (int) Math.min(max, offset + length - at), share));
        }
    }

    /** How many HAST requests of at most {@code max} bytes {@code length} bytes make. */
    static int pieces(long length, int max) {
        return (int) ((length + max - 1) / max);
    }
}
