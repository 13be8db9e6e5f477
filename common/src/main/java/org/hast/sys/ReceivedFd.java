package org.hast.sys;

/**
 * One message read by {@link FdPassing#receiveFd}: {@code length} bytes of ordinary data were
 * copied to the start of the caller's buffer, and {@code fd} is the descriptor that came with
 * them, or {@link #NO_FD} when the message carried none.
 *
 * <p>The caller owns {@code fd} from here on: it must close it or hand it on (to Netty, for one),
 * exactly once. The descriptor was received with close-on-exec set.
 */
public record ReceivedFd(int fd, int length) {
    public static final int NO_FD = -1;

    public boolean hasFd() {
        return fd != NO_FD;
    }
}
