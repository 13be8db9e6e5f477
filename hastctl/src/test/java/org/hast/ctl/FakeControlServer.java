package org.hast.ctl;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * A stand-in for hastd's control socket that answers one connection with canned reply bytes
 * (captured from the reference daemon) and records the request it received.
 */
final class FakeControlServer implements AutoCloseable {
    private final ServerSocketChannel server;
    private final Path path;
    private final CompletableFuture<byte[]> request = new CompletableFuture<>();

    FakeControlServer(Path path, byte[] reply) throws IOException {
        this.path = path;
        Files.deleteIfExists(path);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        Thread thread = new Thread(() -> serveOnce(reply), "fake-hastd-control");
        thread.setDaemon(true);
        thread.start();
    }

    private void serveOnce(byte[] reply) {
        try (SocketChannel client = server.accept()) {
            ByteBuffer header = ByteBuffer.allocate(5).order(ByteOrder.LITTLE_ENDIAN);
            readFully(client, header);
            int size = header.getInt(1);
            ByteBuffer body = ByteBuffer.allocate(5 + size);
            body.put(header.flip());
            readFully(client, body);
            request.complete(body.array());
            ByteBuffer out = ByteBuffer.wrap(reply);
            while (out.hasRemaining()) {
                client.write(out);
            }
        } catch (IOException | RuntimeException e) {
            request.completeExceptionally(e);
        }
    }

    private static void readFully(SocketChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new IOException("client closed early");
            }
        }
    }

    /** The request bytes (header + nv) hastctl sent. */
    byte[] request() {
        return request.join();
    }

    @Override
    public void close() throws IOException {
        server.close();
        Files.deleteIfExists(path);
    }
}
