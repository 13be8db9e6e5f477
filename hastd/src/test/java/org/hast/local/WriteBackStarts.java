package org.hast.local;

import java.util.ArrayList;
import java.util.List;

/** A provider that records the write-backs started on it ({@link ComponentIo#startWriteBack}), then starts them. */
public final class WriteBackStarts extends ForwardingComponentIo {
    /** One started write-back's range. */
    public record Range(long position, long length) {
    }

    private final List<Range> started = new ArrayList<>();

    public WriteBackStarts(ComponentIo inner) {
        super(inner);
    }

    @Override
    public void startWriteBack(long position, long length) {
        synchronized (this) {
            started.add(new Range(position, length));
            notifyAll();
        }
        inner.startWriteBack(position, length);
    }

    public synchronized List<Range> started() {
        return List.copyOf(started);
    }

    /** Waits up to ten seconds for {@code count} write-backs in all; the ranges started by then. */
    public synchronized List<Range> awaitStarted(int count) throws InterruptedException {
        long end = System.nanoTime() + 10_000_000_000L;
        while (started.size() < count && System.nanoTime() < end) {
            wait(Math.max(1, (end - System.nanoTime()) / 1_000_000));
        }
        return List.copyOf(started);
    }
}
