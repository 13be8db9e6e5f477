package org.hast.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay on 127.0.0.1 that forwards every connection to {@code target} and records what
 * crosses it, as a capture on the wire would: the tests look for plaintext in it and replay
 * what a primary sent. Keeps at most {@link #LIMIT} bytes per direction and connection.
 */
final class RecordingRelay implements AutoCloseable {
    static final int LIMIT = 8 << 20;

    /** One relayed connection: the client's bytes (towards target) and the target's. */
    record Connection(ByteArrayOutputStream sent, ByteArrayOutputStream received) {
    }

    private final ServerSocket listener;
    private final int target;
    private final List<Connection> connections = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    RecordingRelay(int target) throws IOException {
        this.target = target;
        this.listener = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "relay-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    List<Connection> connections() {
        return connections;
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket(InetAddress.getLoopbackAddress(), target);
                sockets.add(client);
                sockets.add(server);
                Connection connection = new Connection(new ByteArrayOutputStream(), new ByteArrayOutputStream());
                connections.add(connection);
                pump(client.getInputStream(), server, connection.sent());
                pump(server.getInputStream(), client, connection.received());
            } catch (IOException e) {
                // closed
            }
        }
    }

    private static void pump(InputStream from, Socket to, ByteArrayOutputStream record) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[64 * 1024];
            try (OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = from.read(buffer)) > 0) {
                    synchronized (record) {
                        if (record.size() + n <= LIMIT) {
                            record.write(buffer, 0, n);
                        }
                    }
                    out.write(buffer, 0, n);
                }
            } catch (IOException e) {
                // one side closed
            } finally {
                try {
                    to.close();
                } catch (IOException e) {
                    // already closed
                }
            }
        }, "relay-pump");
        thread.setDaemon(true);
        thread.start();
    }

    static byte[] bytes(ByteArrayOutputStream record) {
        synchronized (record) {
            return record.toByteArray();
        }
    }

    /** Where {@code needle} first occurs in recorded bytes, or -1: what a capture's search would find. */
    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket socket : sockets) {
            socket.close();
        }
    }
}
