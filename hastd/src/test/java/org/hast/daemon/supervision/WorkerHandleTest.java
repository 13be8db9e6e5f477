package org.hast.daemon.supervision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import org.hast.daemon.channel.NvChannel;
import org.hast.daemon.channel.WorkerProtocol;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.hast.proto.Role;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker channel's end as the main process sees it: a worker that closes its channel and
 * then takes its time to exit (a JVM under qemu TCG took well over the 500 ms grace) is "lost"
 * only when nobody asked it to stop.
 */
class WorkerHandleTest {
    private static final long EXIT_DELAY_MILLIS = 1_500;

    @TempDir
    Path dir;

    private ServerSocketChannel server;
    private SocketChannel workerEnd;
    private SocketChannel daemonEnd;
    private final List<String> lost = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() throws IOException {
        for (java.io.Closeable c : new java.io.Closeable[] {workerEnd, daemonEnd, server}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private WorkerHandle attached(SlowExit process) throws IOException {
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(dir.resolve("w.sock"));
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(address);
        workerEnd = SocketChannel.open(address);
        daemonEnd = server.accept();
        process.channel = workerEnd;
        WorkerHandle handle = new WorkerHandle("r0", Role.PRIMARY, process, new NvWriter(), new WorkerListener() {
            @Override
            public void onEvent(WorkerHandle worker, int code) {
                lost.add("unexpected event " + code);
            }

            @Override
            public void onChannelLost(WorkerHandle worker, String reason) {
                lost.add(reason);
            }
        });
        handle.attach(new NvChannel(daemonEnd, WorkerProtocol.MAX_MESSAGE_BYTES));
        new NvChannel(workerEnd, WorkerProtocol.MAX_MESSAGE_BYTES).receive(); // its configuration
        return handle;
    }

    @Test
    void aStoppedWorkerSlowToExitIsNotReportedLost() throws Exception {
        SlowExit process = new SlowExit();
        WorkerHandle handle = attached(process);

        assertEquals(0, handle.terminate(Duration.ofSeconds(10)));
        Thread.sleep(200); // the reader thread has seen end of file long ago

        assertEquals(List.of(), lost);
        assertEquals(1, process.destroyCalls.get(), "one SIGTERM, from terminate only");
    }

    @Test
    void aWorkerThatDropsItsChannelUnaskedIsReportedLost() throws Exception {
        SlowExit process = new SlowExit();
        attached(process);

        process.exitSlowly();

        long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (lost.isEmpty() && System.nanoTime() - deadlineNs < 0) {
            Thread.sleep(10);
        }
        assertTrue(!lost.isEmpty(), "channel loss not reported");
    }

    /**
     * A worker that does not answer (stopped): its status fails after the caller's limit, later
     * callers share the query still out instead of sending another, and the late answer, when
     * it comes, goes to that query and not to the next.
     */
    @Test
    void anUnansweredStatusQueryTimesOutAndIsShared() throws Exception {
        WorkerHandle handle = attached(new SlowExit());
        NvChannel worker = new NvChannel(workerEnd, WorkerProtocol.MAX_MESSAGE_BYTES);
        worker.send(new NvWriter().addInt16("error", 0)); // started: its configuration is answered
        handle.ready().get(10, TimeUnit.SECONDS);
        var first = handle.status(Duration.ofMillis(200));
        var second = handle.status(Duration.ofMillis(200));
        var failure = assertThrows(ExecutionException.class, () -> first.get(10, TimeUnit.SECONDS));
        assertTrue(failure.getCause() instanceof TimeoutException, failure.toString());
        assertThrows(ExecutionException.class, () -> second.get(10, TimeUnit.SECONDS));

        assertEquals(WorkerProtocol.CONTROL_STATUS, worker.receive().getUint8("cmd"));
        var patient = handle.status(Duration.ofSeconds(10));
        worker.send(new NvWriter().addString("status", "late").addInt16("error", 0));
        assertEquals("late", patient.get(10, TimeUnit.SECONDS).getString("status"));
        var third = handle.status(Duration.ofSeconds(10));
        NvMessage query = worker.receive();
        assertEquals(WorkerProtocol.CONTROL_STATUS, query.getUint8("cmd"), "one query for the first two callers");
        worker.send(new NvWriter().addString("status", "fresh").addInt16("error", 0));
        assertEquals("fresh", third.get(10, TimeUnit.SECONDS).getString("status"));
    }

    /** A worker process that, once told to go, closes its channel at once and exits 1.5 s later. */
    private static final class SlowExit extends Process {
        final AtomicInteger destroyCalls = new AtomicInteger();
        private final CountDownLatch exited = new CountDownLatch(1);
        volatile SocketChannel channel;

        void exitSlowly() {
            Thread exiting = new Thread(() -> {
                try {
                    channel.close();
                    Thread.sleep(EXIT_DELAY_MILLIS);
                } catch (IOException | InterruptedException e) {
                    // Exit anyway.
                }
                exited.countDown();
            });
            exiting.setDaemon(true);
            exiting.start();
        }

        @Override
        public void destroy() {
            if (destroyCalls.incrementAndGet() == 1) {
                exitSlowly();
            }
        }

        @Override
        public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
            return exited.await(timeout, unit);
        }

        @Override
        public int waitFor() throws InterruptedException {
            exited.await();
            return 0;
        }

        @Override
        public int exitValue() {
            if (exited.getCount() > 0) {
                throw new IllegalThreadStateException("running");
            }
            return 0;
        }

        @Override
        public boolean isAlive() {
            return exited.getCount() > 0;
        }

        @Override
        public long pid() {
            return 4242;
        }

        @Override
        public OutputStream getOutputStream() {
            return OutputStream.nullOutputStream();
        }

        @Override
        public InputStream getInputStream() {
            return InputStream.nullInputStream();
        }

        @Override
        public InputStream getErrorStream() {
            return InputStream.nullInputStream();
        }
    }
}
