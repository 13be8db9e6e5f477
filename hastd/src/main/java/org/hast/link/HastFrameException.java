package org.hast.link;

import io.netty.handler.codec.CorruptedFrameException;

/**
 * A byte stream that cannot be HAST frames any more (spec §4.1): the connection is out of
 * step and must be closed. {@link HastFrameDecoder} fires exactly this exception and then
 * discards everything that follows; the channel handler logs the message once and closes.
 *
 * <p>It is a {@link io.netty.handler.codec.DecoderException}, so Netty passes it on as it is
 * instead of wrapping it.
 */
public final class HastFrameException extends CorruptedFrameException {
    private static final long serialVersionUID = 1L;

    /** What was wrong. */
    public enum Kind {
        /** A header version above {@link org.hast.proto.FrameHeader#MAX_VERSION} (ERPCMISMATCH). */
        VERSION,
        /** An nv size above the decoder's cap. */
        NV_TOO_LARGE,
        /** A {@code size} field above the decoder's payload cap. */
        PAYLOAD_TOO_LARGE,
        /** An nv blob that breaks §5.3. */
        MALFORMED_NV
    }

    private final Kind kind;

    public HastFrameException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public HastFrameException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
