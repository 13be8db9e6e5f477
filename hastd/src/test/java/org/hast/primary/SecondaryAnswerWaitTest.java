package org.hast.primary;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SecondaryAnswerWaitTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void startsAtTheTimeout() {
        assertEquals(3, new SecondaryAnswerWait().seconds(3));
    }

    @Test
    void doublesAfterEachAttemptThatWaitedItOut() {
        SecondaryAnswerWait wait = new SecondaryAnswerWait();
        assertEquals(2, wait.unanswered(1, 1, SECOND));
        assertEquals(4, wait.unanswered(1, 2, 2 * SECOND + 5));
        assertEquals(8, wait.unanswered(1, 4, 4 * SECOND));
        assertEquals(8, wait.seconds(1));
    }

    @Test
    void anEarlyCloseOrRefusalDoesNotGrowIt() {
        SecondaryAnswerWait wait = new SecondaryAnswerWait();
        assertEquals(3, wait.unanswered(3, 3, 3 * SECOND - 1));
        assertEquals(6, wait.unanswered(3, 3, 3 * SECOND));
        assertEquals(6, wait.unanswered(3, 6, SECOND));
    }

    @Test
    void stopsAtTheCeilingUnlessTheTimeoutIsLonger() {
        SecondaryAnswerWait wait = new SecondaryAnswerWait();
        int seconds = 1;
        for (int i = 0; i < 10; i++) {
            seconds = wait.unanswered(1, seconds, seconds * SECOND);
        }
        assertEquals(SecondaryAnswerWait.CEILING_SECONDS, seconds);
        assertEquals(200, wait.seconds(200));
        assertEquals(200, new SecondaryAnswerWait().unanswered(200, 200, 200 * SECOND));
    }

    @Test
    void anAnswerBringsItBackToTheTimeout() {
        SecondaryAnswerWait wait = new SecondaryAnswerWait();
        wait.unanswered(2, 2, 2 * SECOND);
        wait.answered();
        assertEquals(2, wait.seconds(2));
    }

    @Test
    void aShorterTimeoutAfterAReloadKeepsWhatWasEarned() {
        SecondaryAnswerWait wait = new SecondaryAnswerWait();
        wait.unanswered(5, 5, 5 * SECOND);
        assertEquals(10, wait.seconds(1));
    }
}
