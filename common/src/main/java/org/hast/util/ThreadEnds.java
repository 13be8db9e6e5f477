package org.hast.util;

/** How a component's close waits for its own thread, which it has already asked to end. */
public final class ThreadEnds {
    /** Long enough for a thread finishing one disk operation; a stuck one is not waited for. */
    public static final long CLOSE_WAIT_MILLIS = 5000;

    private ThreadEnds() {
    }

    /**
     * Waits up to {@link #CLOSE_WAIT_MILLIS} for {@code thread} to end; true if it did. An
     * interrupt ends the wait and stays set for the caller.
     */
    public static boolean awaitBriefly(Thread thread) {
        try {
            thread.join(CLOSE_WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !thread.isAlive();
    }
}
