package org.hast.daemon.channel;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;

import org.hast.nv.NvFormatException;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.hast.proto.FrameHeader;
import org.hast.proto.Frames;

/**
 * A stream of framed nv messages (spec §4.1 header + nv, no payload) over a connected socket:
 * the parent↔worker channel and the control socket both speak it. Sends may come from any
 * thread; receives from one reader thread only.
 */
public final class NvChannel implements Closeable {
    /** The version byte of messages that have no resource context (spec §4.1). */
    public static final int VERSION = 2;

    private final SocketChannel socket;
    private final int maxMessageBytes;
    private final ByteBuffer header = ByteBuffer.allocate(FrameHeader.HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);

    public NvChannel(SocketChannel socket, int maxMessageBytes) {
        this.socket = socket;
        this.maxMessageBytes = maxMessageBytes;
    }

    public SocketChannel socket() {
        return socket;
    }

    public void send(NvWriter message) throws IOException {
        ByteBuffer frame = Frames.encode(VERSION, message);
        synchronized (socket) {
            while (frame.hasRemaining()) {
                socket.write(frame);
            }
        }
    }

    /**
     * Reads the next message. A closed peer is an {@link EOFException}; a malformed frame an
     * IOException with a one-line message (the caller drops the connection).
     */
    public NvMessage receive() throws IOException {
        header.clear();
        readFully(header);
        header.flip();
        FrameHeader decoded = FrameHeader.decode(header, maxMessageBytes);
        ByteBuffer body = ByteBuffer.allocate(decoded.nvSize()).order(ByteOrder.LITTLE_ENDIAN);
        readFully(body);
        body.flip();
        try {
            return NvMessage.decode(body);
        } catch (NvFormatException e) {
            throw new IOException("malformed message: " + e.getMessage(), e);
        }
    }

    private void readFully(ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            if (socket.read(buffer) < 0) {
                throw new EOFException("connection closed");
            }
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
