package org.hast.proto;

/**
 * A replication-link message that is well-formed nv but breaks the rules of spec §4 for its
 * kind: a required field missing or of another type, a bad version, a token of the wrong size.
 * The message is one line, ready for the log; the caller closes that one connection (style:
 * bad network input never crashes the daemon).
 *
 * <p>Checked on purpose, like {@link org.hast.nv.NvFormatException}: every {@code fromNv} in
 * this package reports bad input with this exception and nothing else.
 */
public final class ProtocolException extends Exception {
    private static final long serialVersionUID = 1L;

    public ProtocolException(String message) {
        super(message);
    }
}
