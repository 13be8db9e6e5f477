package org.hast.worker;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.hast.device.nbd.NbdProtocol;

/**
 * The NBD client of {@link WorkerCdsTraining}: a fixed-newstyle handshake (NBD_OPT_GO), then one
 * write, read and flush through a worker's export, so that the classes a failover's first client
 * request loads are in the workers' archive. Not part of the daemon's behaviour.
 */
final class CdsTrainingNbdClient {
    private static final int REQUEST_MAGIC = 0x25609513;
    private static final int SIMPLE_REPLY_MAGIC = 0x67446698;
    private static final short CMD_READ = 0;
    private static final short CMD_WRITE = 1;
    private static final short CMD_FLUSH = 3;

    private CdsTrainingNbdClient() {
    }

    static void exercise(Path socket, String export) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer greeting = read(channel, 18);
            if (greeting.getLong() != NbdProtocol.NBDMAGIC || greeting.getLong() != NbdProtocol.IHAVEOPT) {
                throw new IOException("not a newstyle NBD server");
            }
            byte[] name = export.getBytes(StandardCharsets.UTF_8);
            ByteBuffer go = ByteBuffer.allocate(4 + 16 + 4 + name.length + 2);
            go.putInt(NbdProtocol.CLIENT_FIXED_NEWSTYLE | NbdProtocol.CLIENT_NO_ZEROES);
            go.putLong(NbdProtocol.IHAVEOPT).putInt(NbdProtocol.OPT_GO).putInt(4 + name.length + 2);
            go.putInt(name.length).put(name).putShort((short) 0);
            write(channel, go.flip());
            int type;
            do {
                ByteBuffer reply = read(channel, 20);
                reply.position(12);
                type = reply.getInt();
                read(channel, reply.getInt());
                if (type < 0) {
                    throw new IOException("NBD_OPT_GO refused: " + Integer.toHexString(type));
                }
            } while (type != NbdProtocol.REP_ACK);
            ByteBuffer block = ByteBuffer.allocate(4096);
            request(channel, CMD_WRITE, 1, block.clear());
            request(channel, CMD_READ, 2, null);
            read(channel, 4096);
            request(channel, CMD_FLUSH, 3, null);
        }
    }

    /** Sends one request ({@code data} for a write) and checks its simple reply's header. */
    private static void request(SocketChannel channel, short command, long handle, ByteBuffer data)
            throws IOException {
        ByteBuffer header = ByteBuffer.allocate(28);
        header.putInt(REQUEST_MAGIC).putShort((short) 0).putShort(command).putLong(handle).putLong(0)
                .putInt(command == CMD_FLUSH ? 0 : 4096);
        write(channel, header.flip());
        if (data != null) {
            write(channel, data);
        }
        ByteBuffer reply = read(channel, 16);
        if (reply.getInt() != SIMPLE_REPLY_MAGIC || reply.getInt() != 0 || reply.getLong() != handle) {
            throw new IOException("NBD command " + command + " failed");
        }
    }

    private static void write(SocketChannel channel, ByteBuffer data) throws IOException {
        while (data.hasRemaining()) {
            channel.write(data);
        }
    }

    private static ByteBuffer read(SocketChannel channel, int bytes) throws IOException {
        ByteBuffer data = ByteBuffer.allocate(bytes);
        while (data.hasRemaining()) {
            if (channel.read(data) < 0) {
                throw new EOFException("the export closed the connection");
            }
        }
        return data.flip();
    }
}
