package org.hast.daemon.supervision;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.hast.daemon.channel.NvChannel;
import org.hast.daemon.channel.WorkerProtocol;
import org.hast.daemon.process.FatalThreads;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.hast.proto.Role;

/**
 * The main process's view of one worker JVM: its process and its channel (spec §3.3). Requests
 * are answered in order, so a FIFO of pending futures matches replies to requests; events are
 * passed to the listener. The first request is always the configuration, whose reply means the
 * worker is ready.
 */
public final class WorkerHandle {
    private final String resource;
    private final Role role;
    private final Process process;
    private final CompletableFuture<NvChannel> channel = new CompletableFuture<>();
    private final CompletableFuture<NvMessage> ready = new CompletableFuture<>();
    private final NvWriter configRequest;
    private final Deque<CompletableFuture<NvMessage>> pending = new ArrayDeque<>();
    private final WorkerListener listener;
    /** The status query still waiting for its answer, if any (guarded by {@code pending}). */
    private CompletableFuture<NvMessage> statusQuery;
    /**
     * Set by {@link #terminate}: the worker closes its channel on the way out and its JVM may
     * take longer than {@link #exitsSoon()} allows to finish exiting (seen under qemu TCG), so
     * the closing channel of a worker we stop is never reported as lost.
     */
    private volatile boolean terminating;

    WorkerHandle(String resource, Role role, Process process, NvWriter configRequest, WorkerListener listener) {
        this.resource = resource;
        this.role = role;
        this.process = process;
        this.listener = listener;
        this.configRequest = configRequest;
    }

    public String resource() {
        return resource;
    }

    public Role role() {
        return role;
    }

    public long pid() {
        return process.pid();
    }

    public Process process() {
        return process;
    }

    /** Completes when the worker has applied its configuration (its start-up is done). */
    public CompletableFuture<NvMessage> ready() {
        return ready;
    }

    /**
     * Called by the launcher once the worker connected: the configuration goes out first, so
     * that no other request can overtake it, then the channel is published.
     */
    void attach(NvChannel connected) {
        Thread reader = FatalThreads.newThread("worker-" + resource + "-" + process.pid(), () -> readLoop(connected));
        synchronized (pending) {
            pending.add(ready);
            try {
                connected.send(configRequest);
            } catch (IOException e) {
                pending.remove(ready);
                ready.completeExceptionally(e);
            }
        }
        reader.start();
        channel.complete(connected);
    }

    /** The channel once the worker connected; null before, or if it never did. */
    private NvChannel connectedOrNull() {
        return channel.isDone() && !channel.isCompletedExceptionally() ? channel.join() : null;
    }

    /** Called by the launcher when the worker never connected. */
    void failToAttach(Throwable cause) {
        channel.completeExceptionally(cause);
        ready.completeExceptionally(cause);
    }

    private void readLoop(NvChannel connected) {
        try {
            while (true) {
                NvMessage message = connected.receive();
                if (message.has("notice")) {
                    listener.onNotice(this, message);
                    continue;
                }
                if (message.has("event")) {
                    listener.onEvent(this, message.getUint8("event"));
                    continue;
                }
                CompletableFuture<NvMessage> waiting;
                synchronized (pending) {
                    waiting = pending.poll();
                }
                if (waiting == null) {
                    listener.onChannelLost(this, "unexpected message from worker: " + message);
                    break;
                }
                waiting.complete(message);
            }
        } catch (IOException e) {
            if (!terminating && !exitsSoon()) {
                listener.onChannelLost(this, e.getMessage());
            }
        } finally {
            failPending(new IOException("worker channel closed"));
        }
    }

    /** A channel closing because the worker died is not news; give its exit a moment to show. */
    private boolean exitsSoon() {
        try {
            return process.waitFor(500, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    private void failPending(IOException cause) {
        synchronized (pending) {
            for (CompletableFuture<NvMessage> waiting : pending) {
                waiting.completeExceptionally(cause);
            }
            pending.clear();
        }
    }

    /** Sends a request; the future completes with the worker's reply. */
    public CompletableFuture<NvMessage> request(NvWriter message) {
        CompletableFuture<NvMessage> reply = new CompletableFuture<>();
        if (!channel.isDone()) {
            return channel.thenCompose(ch -> request(message));
        }
        NvChannel connected = connectedOrNull();
        if (connected == null) {
            reply.completeExceptionally(new IOException("worker never connected"));
            return reply;
        }
        synchronized (pending) {
            pending.add(reply);
            try {
                connected.send(message);
            } catch (IOException e) {
                pending.remove(reply);
                reply.completeExceptionally(e);
            }
        }
        return reply;
    }

    /**
     * Asks for the worker's status; the answer fails with a {@link java.util.concurrent.TimeoutException}
     * after {@code limit}. Never waits. While an earlier query is unanswered its answer is shared
     * instead of sending another, so a stopped worker does not pile queries up in its channel.
     */
    public CompletableFuture<NvMessage> status(Duration limit) {
        CompletableFuture<NvMessage> shared;
        synchronized (pending) {
            if (statusQuery == null || statusQuery.isDone()) {
                statusQuery = request(new NvWriter().addUint8("cmd", WorkerProtocol.CONTROL_STATUS));
            }
            shared = statusQuery;
        }
        return shared.copy().orTimeout(limit.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Acknowledges an event: the hook was started (spec §3.3 hr_event). */
    public void ackEvent(int error) {
        NvChannel connected = connectedOrNull();
        if (connected == null) {
            return;
        }
        try {
            connected.send(WorkerProtocol.errorReply(error));
        } catch (IOException e) {
            // The worker is gone; its exit is handled elsewhere.
        }
    }

    /**
     * SIGTERM, then waits up to {@code grace} before SIGKILL (spec §3.4 step 4: the reference
     * waits without limit; a wedged worker must not wedge the daemon).
     */
    public int terminate(Duration grace) {
        terminating = true;
        process.destroy();
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeChannel();
        return process.isAlive() ? -1 : process.exitValue();
    }

    public void closeChannel() {
        NvChannel connected = connectedOrNull();
        if (connected != null) {
            try {
                connected.close();
            } catch (IOException e) {
                // Already closed.
            }
        } else {
            channel.completeExceptionally(new IOException("worker stopped"));
        }
    }
}
