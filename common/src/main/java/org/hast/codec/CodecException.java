package org.hast.codec;

/**
 * A payload that cannot be verified or decoded: bad checksum, malformed LZF stream, a hole
 * or LZF header that breaks the rules of spec §10. The caller treats it as a protocol error
 * on that one connection (decisions A29): log the message, drop the link, keep the worker.
 *
 * <p>Checked on purpose: every decoder path in this package reports malformed input with this
 * exception and nothing else, so the network layer has exactly one thing to catch.
 */
public final class CodecException extends Exception {
    private static final long serialVersionUID = 1L;

    public CodecException(String message) {
        super(message);
    }
}
