package org.hast.ctl;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;

import org.hast.conf.AddressException;
import org.hast.conf.HastAddress;
import org.hast.control.ControlCodes;
import org.hast.nv.NvFormatException;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.hast.proto.FrameHeader;
import org.hast.proto.Frames;
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
            return readReply(channel);
        } catch (IOException e) {
            throw new CtlException(SysExits.EX_OSERR, "Unable to create control socket: "
                    + IoErrors.describe(e) + ".");
        }
    }

    /**
     * Reads hastd's reply (header + nv) and checks its top-level {@code error}. Memory grows
     * with the bytes that actually arrive, not with the size the header announces.
     */
    static NvMessage readReply(ReadableByteChannel channel) throws CtlException {
        NvMessage reply;
        try {
            reply = Frames.readFrom(Channels.newInputStream(channel), MAX_REPLY_BYTES).nv();
        } catch (IOException e) {
            throw new CtlException(SysExits.EX_UNAVAILABLE, "Unable to receive reply from hastd: "
                    + IoErrors.describe(e) + ".");
        } catch (NvFormatException e) {
            throw new CtlException(SysExits.EX_UNAVAILABLE, "Invalid reply from hastd: " + e.getMessage());
        }
        int error = reply.getInt16("error");
        if (error != 0) {
            throw new CtlException(SysExits.EX_SOFTWARE, "Error " + error + " received from hastd.");
        }
        return reply;
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
}
