package org.hast.worker;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.hast.local.ComponentIo;

/**
 * Passes a component's system calls through and records each in one global order: a write is
 * recorded when it is issued, a durable write when it has returned (that is when it is durable),
 * with a copy of its bytes.
 */
public final class RecordingComponentIo implements ComponentIo {
    public enum Call { WRITE, WRITE_DURABLE, FLUSH }

    /** One call: {@code bytes} is what a durable write wrote, null otherwise. */
    public record Event(Call call, long position, int length, byte[] bytes) {
    }

    private final ComponentIo inner;
    private final List<Event> events = new ArrayList<>();
    /** Set to make {@link #writeDurable} fail as a provider without {@code fsync} does. */
    private volatile boolean refuseDurable;

    public RecordingComponentIo(ComponentIo inner) {
        this.inner = inner;
    }

    public void refuseDurableWrites() {
        refuseDurable = true;
    }

    public synchronized List<Event> events() {
        return List.copyOf(events);
    }

    private synchronized void record(Event event) {
        events.add(event);
    }

    @Override
    public int read(ByteBuffer target, long position) throws IOException {
        return inner.read(target, position);
    }

    @Override
    public int write(ByteBuffer source, long position) throws IOException {
        record(new Event(Call.WRITE, position, source.remaining(), null));
        return inner.write(source, position);
    }

    @Override
    public int writeDurable(ByteBuffer source, long position) throws IOException {
        if (refuseDurable) {
            record(new Event(Call.WRITE_DURABLE, position, 0, null));
            throw new IOException("Invalid argument");
        }
        ByteBuffer copy = source.duplicate();
        byte[] bytes = new byte[copy.remaining()];
        copy.get(bytes);
        int n = inner.writeDurable(source, position);
        record(new Event(Call.WRITE_DURABLE, position, n, bytes));
        return n;
    }

    @Override
    public void flush() throws IOException {
        inner.flush();
        record(new Event(Call.FLUSH, 0, 0, null));
    }

    @Override
    public void close() throws IOException {
        inner.close();
    }
}
