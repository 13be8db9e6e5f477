package org.hast.local;

import java.io.IOException;
import java.nio.ByteBuffer;

/** A provider's calls passed through as they are: tests override the ones they watch or bend. */
public class ForwardingComponentIo implements ComponentIo {
    protected final ComponentIo inner;

    public ForwardingComponentIo(ComponentIo inner) {
        this.inner = inner;
    }

    @Override
    public int read(ByteBuffer target, long position) throws IOException {
        return inner.read(target, position);
    }

    @Override
    public int write(ByteBuffer source, long position) throws IOException {
        return inner.write(source, position);
    }

    @Override
    public boolean addressable() {
        return inner.addressable();
    }

    @Override
    public int read(long address, int length, long position) throws IOException {
        return inner.read(address, length, position);
    }

    @Override
    public boolean readIfCached(long address, int length, long position) {
        return inner.readIfCached(address, length, position);
    }

    @Override
    public int write(long address, int length, long position) throws IOException {
        return inner.write(address, length, position);
    }

    @Override
    public int writeDurable(ByteBuffer source, long position) throws IOException {
        return inner.writeDurable(source, position);
    }

    @Override
    public void flush() throws IOException {
        inner.flush();
    }

    @Override
    public boolean writeBack(long position, long length) throws IOException {
        return inner.writeBack(position, length);
    }

    @Override
    public void startWriteBack(long position, long length) {
        inner.startWriteBack(position, length);
    }

    @Override
    public void close() throws IOException {
        inner.close();
    }
}
