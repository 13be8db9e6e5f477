package org.hast.ctl;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;

import org.hast.conf.AddressException;
import org.hast.conf.HastAddress;
import org.hast.control.ControlCodes;
import org.hast.nv.NvFormatException;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.hast.proto.FrameHeader;
import org.hast.util.IoErrors;
import org.hast.util.SysExits;

/**
 * One request/reply exchange with hastd over its control socket (spec §2.8): header + nv out,
 * header + nv back, then the daemon closes the connection. Uses the JDK's own Unix-domain
 * sockets so that hastctl loads no native library.
 */
final class ControlClient {
    /** Replies are a few hundred bytes per resource; anything near this is not hastd. */
    private static final int MAX_REPLY_BYTES = 16 << 20;

    private ControlClient() {
    }

    /**
     * Sends {@code request} to the daemon listening on {@code controlAddress} and returns the
     * reply, failing with the exit codes of spec §2.7: EX_OSERR when no daemon answers the
     * connect, EX_UNAVAILABLE when the exchange breaks, EX_SOFTWARE for a top-level error.
     */
    static NvMessage exchange(String controlAddress, NvWriter request) throws CtlException {
        UnixDomainSocketAddress address = socketAddress(controlAddress);
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            try {
                channel.connect(address);
            } catch (IOException e) {
                throw new CtlException(SysExits.EX_OSERR, "Unable to connect to hastd via "
                        + controlAddress + ": " + IoErrors.describe(e) + ".");
            }
            try {
                ByteBuffer nv = request.encode();
                ByteBuffer header = new FrameHeader(ControlCodes.FRAME_VERSION, nv.remaining()).encode();
                writeFully(channel, header);
                writeFully(channel, nv);
            } catch (IOException e) {
                throw new CtlException(SysExits.EX_UNAVAILABLE, "Unable to send command to hastd via "
                        + controlAddress + ": " + IoErrors.describe(e) + ".");
            }
            NvMessage reply = receive(channel);
            int error = reply.getInt16("error");
            if (error != 0) {
                throw new CtlException(SysExits.EX_SOFTWARE, "Error " + error + " received from hastd.");
            }
            return reply;
        } catch (IOException e) {
            throw new CtlException(SysExits.EX_OSERR, "Unable to create control socket: "
                    + IoErrors.describe(e) + ".");
        }
    }

    private static NvMessage receive(SocketChannel channel) throws CtlException {
        try {
            ByteBuffer headerBytes = ByteBuffer.allocate(FrameHeader.HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, headerBytes);
            headerBytes.flip();
            FrameHeader header = FrameHeader.decode(headerBytes, MAX_REPLY_BYTES);
            ByteBuffer nv = ByteBuffer.allocate(header.nvSize()).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, nv);
            nv.flip();
            return NvMessage.decode(nv);
        } catch (IOException e) {
            throw new CtlException(SysExits.EX_UNAVAILABLE, "Unable to receive reply from hastd: "
                    + IoErrors.describe(e) + ".");
        } catch (NvFormatException | IllegalArgumentException e) {
            throw new CtlException(SysExits.EX_UNAVAILABLE, "Invalid reply from hastd: " + e.getMessage());
        }
    }

    private static UnixDomainSocketAddress socketAddress(String controlAddress) throws CtlException {
        try {
            HastAddress parsed = HastAddress.parse(controlAddress, HastAddress.DEFAULT_PORT);
            if (!parsed.isUds()) {
                throw new CtlException(SysExits.EX_OSERR, "Unable to connect to hastd via "
                        + controlAddress + ": only Unix-domain control sockets are supported.");
            }
            return parsed.toUnixSocketAddress();
        } catch (AddressException e) {
            throw new CtlException(SysExits.EX_OSERR, "Unable to connect to hastd via "
                    + controlAddress + ": " + e.getMessage());
        }
    }

    private static void writeFully(SocketChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    private static void readFully(SocketChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new IOException("Connection closed by hastd");
            }
        }
    }
}
