package org.hast.worker;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.hast.local.ComponentIo;
import org.hast.local.ForwardingComponentIo;

/**
 * Passes a component's system calls through and records each in one global order: a write is
 * recorded when it is issued, a durable write, a flush and a range write-back when they have
 * returned (that is when they are durable, or for the last, written to the device), a durable
 * write with a copy of its bytes. Each event also says how many
 * events were recorded when its call was issued: a flush covers the writes before that.
 */
public final class RecordingComponentIo extends ForwardingComponentIo {
    public enum Call { WRITE, WRITE_DURABLE, FLUSH, WRITE_BACK }

    /**
     * One call: {@code bytes} is what a durable write wrote, null otherwise; {@code issuedAfter}
     * is the number of events recorded before the call was issued.
     */
    public record Event(Call call, long position, int length, byte[] bytes, int issuedAfter) {
    }

    private final List<Event> events = new ArrayList<>();
    /** Set to make {@link #writeDurable} fail as a provider without {@code fsync} does. */
    private volatile boolean refuseDurable;
    /** Set to make {@link #writeBack} answer as a platform without {@code sync_file_range}. */
    private volatile boolean refuseWriteBack;
    /**
     * Runs on the calling thread when a flush or a range write-back is issued, before it is made
     * (a slow sync).
     */
    private volatile Runnable beforeSync = () -> { };
    /** Runs on the calling thread with a durable write's bytes, before it is made. */
    private volatile java.util.function.Consumer<byte[]> beforeDurableWrite = bytes -> { };

    public RecordingComponentIo(ComponentIo inner) {
        super(inner);
    }

    public void refuseDurableWrites() {
        refuseDurable = true;
    }

    public void refuseWriteBacks() {
        refuseWriteBack = true;
    }

    public void beforeSync(Runnable hook) {
        beforeSync = hook;
    }

    public void beforeDurableWrite(java.util.function.Consumer<byte[]> hook) {
        beforeDurableWrite = hook;
    }

    public synchronized List<Event> events() {
        return List.copyOf(events);
    }

    private synchronized void record(Call call, long position, int length, byte[] bytes, int issuedAfter) {
        events.add(new Event(call, position, length, bytes, issuedAfter));
    }

    private synchronized int recorded() {
        return events.size();
    }

    @Override
    public int write(ByteBuffer source, long position) throws IOException {
        record(Call.WRITE, position, source.remaining(), null, recorded());
        return inner.write(source, position);
    }

    @Override
    public int write(long address, int length, long position) throws IOException {
        record(Call.WRITE, position, length, null, recorded());
        return inner.write(address, length, position);
    }

    @Override
    public int writeDurable(ByteBuffer source, long position) throws IOException {
        if (refuseDurable) {
            record(Call.WRITE_DURABLE, position, 0, null, recorded());
            throw new IOException("Invalid argument");
        }
        ByteBuffer copy = source.duplicate();
        byte[] bytes = new byte[copy.remaining()];
        copy.get(bytes);
        beforeDurableWrite.accept(bytes);
        int issuedAfter = recorded();
        int n = inner.writeDurable(source, position);
        record(Call.WRITE_DURABLE, position, n, bytes, issuedAfter);
        return n;
    }

    @Override
    public void flush() throws IOException {
        int issuedAfter = recorded();
        beforeSync.run();
        inner.flush();
        record(Call.FLUSH, 0, 0, null, issuedAfter);
    }

    @Override
    public boolean writeBack(long position, long length) throws IOException {
        if (refuseWriteBack) {
            return false;
        }
        int issuedAfter = recorded();
        beforeSync.run();
        boolean done = inner.writeBack(position, length);
        if (done) {
            record(Call.WRITE_BACK, position, Math.toIntExact(length), null, issuedAfter);
        }
        return done;
    }
}
