package org.hast.conf;

/** An address string that cannot be used (spec §1.6); the message is one line. */
public final class AddressException extends Exception {
    private static final long serialVersionUID = 1L;

    public AddressException(String message) {
        super(message);
    }
}
