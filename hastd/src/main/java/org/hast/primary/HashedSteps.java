package org.hast.primary;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.hast.block.BlockBackend;
import org.hast.integrity.BlockHashes;
import org.hast.proto.HioCommand;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * The steps that compare the two copies by block hashes (docs/integrity.md), on a range the
 * caller has locked against regular writes: the local copy is read and hashed here while the
 * secondary hashes its own ({@code HIO_HASH}); online verify reports the blocks that differ,
 * checksum synchronisation sends only those.
 */
final class HashedSteps {
    /** What a comparison found: an errno, or 0 and the differing blocks (bit i = block i). */
    interface Compared {
        void compared(int errno, long mismatches);
    }

    /** One digest per thread: local completions run on several. */
    private static final ThreadLocal<BlockHashes> HASHES = ThreadLocal.withInitial(BlockHashes::new);

    private final Consumer<Hio> submit;
    /** Bytes checksum synchronisation did not send because the secondary had them. */
    final AtomicLong skippedBytes = new AtomicLong();

    HashedSteps(Consumer<Hio> submit) {
        this.submit = submit;
    }

    /** Reads the range locally into {@code buffer} and compares its block hashes with the secondary's. */
    void compare(long offset, int length, ByteBuf buffer, Compared done) {
        ByteBuf theirs = Unpooled.buffer(BlockHashes.digestBytes(length));
        AtomicInteger pending = new AtomicInteger(2);
        int[] errors = new int[2];
        Runnable both = () -> {
            if (pending.decrementAndGet() != 0) {
                return;
            }
            int errno = errors[0] != 0 ? errors[0] : errors[1];
            long mismatches = 0;
            if (errno == 0) {
                ByteBuffer ours = ByteBuffer.allocate(theirs.capacity());
                HASHES.get().hash(buffer.nioBuffer(0, length), ours);
                mismatches = BlockHashes.mismatches(ours.flip(), theirs.nioBuffer());
            }
            theirs.release();
            done.compared(errno, mismatches);
        };
        Hio hash = new Hio(HioCommand.HASH, offset, length, theirs, errno -> {
            errors[1] = errno;
            both.run();
        });
        hash.sync = true;
        hash.toRemote = true;
        Hio read = new Hio(HioCommand.READ, offset, length, buffer.slice(0, length).writerIndex(0), errno -> {
            errors[0] = errno;
            both.run();
        });
        read.sync = true;
        read.toLocal = true;
        submit.accept(hash);
        submit.accept(read);
    }

    /** Checksum synchronisation from the primary: only the blocks whose hashes differ travel. */
    void copyDiffering(long offset, int length, ByteBuf buffer, BlockBackend.Completion done) {
        compare(offset, length, buffer, (errno, mismatches) -> {
            if (errno != 0 || mismatches == 0) {
                if (errno == 0) {
                    skippedBytes.addAndGet(length);
                }
                done.done(errno);
                return;
            }
            int blocks = (length + BlockHashes.BLOCK - 1) / BlockHashes.BLOCK;
            AtomicInteger writes = new AtomicInteger(1);
            AtomicInteger firstError = new AtomicInteger();
            BlockBackend.Completion one = e -> {
                if (e != 0) {
                    firstError.compareAndSet(0, e);
                }
                if (writes.decrementAndGet() == 0) {
                    done.done(firstError.get());
                }
            };
            long sent = 0;
            for (int b = 0; b < blocks; b++) {
                if ((mismatches & (1L << b)) == 0) {
                    continue;
                }
                int run = b;
                while (run + 1 < blocks && (mismatches & (1L << (run + 1))) != 0) {
                    run++;
                }
                int from = b * BlockHashes.BLOCK;
                int to = Math.min(length, (run + 1) * BlockHashes.BLOCK);
                writes.incrementAndGet();
                Hio write = new Hio(HioCommand.WRITE, offset + from, to - from,
                        buffer.retainedSlice(from, to - from), one::done);
                write.sync = true;
                write.toRemote = true;
                submit.accept(write);
                sent += to - from;
                b = run;
            }
            skippedBytes.addAndGet(length - sent);
            one.done(0);
        });
    }
}
