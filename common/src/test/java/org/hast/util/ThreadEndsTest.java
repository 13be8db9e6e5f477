package org.hast.util;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class ThreadEndsTest {
    @Test
    void reportsAThreadThatEnded() {
        Thread quick = new Thread(() -> { });
        quick.start();
        assertTrue(ThreadEnds.awaitBriefly(quick));
    }

    @Test
    void anInterruptEndsTheWaitAndStaysSet() throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        Thread stuck = new Thread(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        stuck.start();
        Thread.currentThread().interrupt();
        assertFalse(ThreadEnds.awaitBriefly(stuck), "the stuck thread is not waited for");
        assertTrue(Thread.interrupted(), "the caller's interrupt is kept (and cleared here)");
        release.countDown();
        stuck.join();
    }
}
