package org.hast.daemon;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The main process's single thread (spec §3.3): role changes, control requests, worker events
 * and exits, signals and reloads all run here one at a time, so the resource table needs no
 * locks. Other threads only post work. Every {@link #TICK_MILLIS} the tick task runs (the
 * reference's 5 s {@code REPORT_INTERVAL}: long-running hook reports).
 */
final class MainLoop implements Executor {
    static final long TICK_MILLIS = 5_000;
    private static final Logger LOG = LoggerFactory.getLogger(MainLoop.class);

    private final BlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();
    private volatile boolean running = true;
    private volatile Thread thread;

    @Override
    public void execute(Runnable task) {
        tasks.add(task);
    }

    <T> CompletableFuture<T> submit(Callable<T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        execute(() -> {
            try {
                result.complete(task.call());
            } catch (Exception | Error e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    /** Runs tasks on the calling thread until {@link #stop()}. */
    void run(Runnable tick) {
        thread = Thread.currentThread();
        long nextTick = System.currentTimeMillis() + TICK_MILLIS;
        while (running) {
            try {
                long wait = Math.max(0, nextTick - System.currentTimeMillis());
                Runnable task = tasks.poll(wait, TimeUnit.MILLISECONDS);
                if (task != null) {
                    task.run();
                }
                if (System.currentTimeMillis() >= nextTick) {
                    nextTick = System.currentTimeMillis() + TICK_MILLIS;
                    tick.run();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                // A bug in one handler must not take the daemon down with every resource.
                LOG.error("Unexpected error in the main loop", e);
            }
        }
    }

    void stop() {
        running = false;
        tasks.add(() -> { });
    }
}
