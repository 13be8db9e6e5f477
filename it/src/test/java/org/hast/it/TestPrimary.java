package org.hast.it;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;

import org.hast.codec.EncodedPayload;
import org.hast.codec.PayloadCodec;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.hast.proto.Frame;
import org.hast.proto.Frames;
import org.hast.proto.HandshakeFirst;
import org.hast.proto.HandshakeFirstReply;
import org.hast.proto.HandshakeParams;
import org.hast.proto.HandshakeSecond;
import org.hast.proto.HandshakeTokenReply;
import org.hast.proto.PayloadFields;

/**
 * A primary written for the tests: blocking sockets and the protocol classes, no daemon code, so
 * that a real secondary hastd can be driven message by message (spec §4).
 */
final class TestPrimary implements AutoCloseable {
    static final int MAX_NV = 1 << 16;

    final Socket out;
    Socket in;
    final InputStream outIn;
    int version = 1;
    HandshakeParams params;
    byte[] bitmap;

    /** A received frame with its payload bytes (empty when none). */
    record Message(int version, NvMessage nv, byte[] payload) {
    }

    private TestPrimary(Socket out) throws IOException {
        this.out = out;
        this.outIn = out.getInputStream();
    }

    static Socket connect(int port) throws IOException {
        Socket socket = new Socket();
        socket.setSoTimeout(30_000);
        socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        socket.setTcpNoDelay(true);
        return socket;
    }

    /** Step 1 only: the reply (token or error) to a first header for {@code resource}. */
    static Message first(int port, String resource, TestPrimary[] keep) throws Exception {
        TestPrimary primary = new TestPrimary(connect(port));
        send(primary.out.getOutputStream(), 1, HandshakeFirst.of(resource).toNv(), null);
        Message reply = receive(primary.outIn);
        keep[0] = primary;
        return reply;
    }

    /** The whole handshake of §4.3; fails with the secondary's errmsg if it refuses. */
    static TestPrimary connect(int port, String resource, long resuid, long localCnt, long remoteCnt,
                               boolean virgin) throws Exception {
        TestPrimary[] holder = new TestPrimary[1];
        Message reply = first(port, resource, holder);
        TestPrimary primary = holder[0];
        HandshakeFirstReply decoded = HandshakeFirstReply.fromNv(reply.nv());
        if (!(decoded instanceof HandshakeTokenReply token)) {
            primary.close();
            throw new IOException("refused: " + reply.nv());
        }
        primary.version = token.version();
        primary.in = connect(port);
        send(primary.in.getOutputStream(), primary.version,
                new HandshakeSecond(resource, token.token(), virgin, resuid, localCnt, remoteCnt).toNv(), null);
        Message paramsReply = receive(primary.outIn);
        primary.params = HandshakeParams.fromNv(paramsReply.nv());
        if (paramsReply.payload().length > 0) {
            PayloadFields fields = PayloadFields.fromNv(paramsReply.nv());
            ByteBuffer decoded2 = ByteBuffer.allocate(64 << 20);
            ByteBuffer plain = new PayloadCodec().decode(fields.compression(), fields.checksum(), fields.hash(),
                    ByteBuffer.wrap(paramsReply.payload()), decoded2);
            primary.bitmap = new byte[plain.remaining()];
            plain.get(primary.bitmap);
        }
        return primary;
    }

    /** Sends a request on the out connection; {@code data} is encoded by {@code codec}. */
    void request(NvWriter header, ByteBuffer data, PayloadCodec codec) throws IOException {
        if (data == null) {
            send(out.getOutputStream(), version, header, null);
            return;
        }
        ByteBuffer scratch = ByteBuffer.allocate(data.remaining());
        EncodedPayload encoded = codec.encode(data, scratch);
        PayloadFields.append(header, encoded);
        ByteBuffer payload = encoded.payload();
        byte[] bytes = new byte[payload.remaining()];
        payload.duplicate().get(bytes);
        send(out.getOutputStream(), version, header, bytes);
    }

    /** The next reply on the in connection. */
    Message reply() throws IOException, org.hast.nv.NvFormatException {
        return receive(in.getInputStream());
    }

    static void send(OutputStream stream, int version, NvWriter nv, byte[] payload) throws IOException {
        ByteBuffer frame = Frames.encode(version, nv);
        byte[] bytes = new byte[frame.remaining()];
        frame.get(bytes);
        stream.write(bytes);
        if (payload != null) {
            stream.write(payload);
        }
        stream.flush();
    }

    static Message receive(InputStream stream) throws IOException, org.hast.nv.NvFormatException {
        Frame frame = Frames.readFrom(stream, MAX_NV);
        byte[] payload = new byte[(int) frame.payloadSize()];
        new DataInputStream(stream).readFully(payload);
        return new Message(frame.version(), frame.nv(), payload);
    }

    @Override
    public void close() throws IOException {
        out.close();
        if (in != null) {
            in.close();
        }
    }
}
