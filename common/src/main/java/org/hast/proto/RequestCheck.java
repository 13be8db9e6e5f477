package org.hast.proto;

/**
 * The verdict of {@link RequestHeader#validate}: an errno for the reply's {@code error} field
 * (0 = accepted) and the log line the reference writes for that failure.
 *
 * @param error   0 or {@link #EINVAL}
 * @param message the one-line reason, null when accepted
 */
public record RequestCheck(int error, String message) {
    /** {@code EINVAL}, the same value on FreeBSD and Linux. */
    public static final int EINVAL = 22;
    public static final RequestCheck OK = new RequestCheck(0, null);

    public RequestCheck {
        if ((error == 0) != (message == null)) {
            throw new IllegalArgumentException("a failure needs a message, success none");
        }
    }

    static RequestCheck invalid(String message) {
        return new RequestCheck(EINVAL, message);
    }

    public boolean ok() {
        return error == 0;
    }
}
