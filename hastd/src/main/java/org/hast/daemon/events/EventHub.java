package org.hast.daemon.events;

import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.hast.control.ControlCodes;
import org.hast.daemon.process.FatalThreads;
import org.hast.nv.NvWriter;
import org.hast.proto.FrameHeader;

/**
 * The main process's state changes, fanned out to {@code hastctl events} followers
 * (docs/events.md). Each event is encoded once, as a control frame, and offered to every
 * follower's bounded queue: publishing never waits for a follower. The hub also keeps the last
 * known state of every resource, which a new follower gets first as {@code exists} events, in
 * the same lock as its registration, so that it misses nothing and sees nothing twice.
 */
public final class EventHub implements AutoCloseable {
    /** More followers than this at once are refused. */
    static final int MAX_FOLLOWERS = 32;

    private final List<EventFollower> followers = new ArrayList<>();
    private final Map<String, ResourceState> states = new LinkedHashMap<>();
    private final ScheduledExecutorService timer =
            Executors.newSingleThreadScheduledExecutor(FatalThreads.factory("events-timer"));

    /** What the last events said about one resource. */
    private static final class ResourceState {
        String role = "init";
        String connection = "down";
        boolean syncing;
        long workerPid;
    }

    /** Publishes one event; {@code resource} null for a daemon-wide one (reload). */
    public synchronized void publish(String resource, String kind, Consumer<NvWriter> fields) {
        if (resource != null) {
            track(resource, kind, fields);
        }
        ByteBuffer frame = encode(resource, kind, fields);
        for (EventFollower follower : List.copyOf(followers)) {
            if (follower.wants(resource)) {
                follower.offer(frame);
            }
        }
    }

    /** A resource's role changed from {@code previous} to {@code role}. */
    public synchronized void role(String resource, String role, String previous) {
        ResourceState state = state(resource);
        state.role = role;
        state.connection = "down";
        state.syncing = false;
        publish(resource, "role", nv -> nv.addString("role", role).addString("previous", previous));
    }

    /** A resource's worker started ({@code pid}) or ended (0): shown in {@code exists}. */
    public synchronized void workerPid(String resource, long pid) {
        state(resource).workerPid = pid;
    }

    /** The configured resources, in order: new ones start in init, removed ones are forgotten. */
    public synchronized void configured(List<String> resources) {
        Map<String, ResourceState> kept = new LinkedHashMap<>();
        for (String resource : resources) {
            ResourceState state = states.get(resource);
            kept.put(resource, state != null ? state : new ResourceState());
        }
        states.clear();
        states.putAll(kept);
    }

    /**
     * Registers a follower on {@code socket} (whose reply has been sent) for {@code resources}
     * (empty: all) and queues the current state of each; false when there are too many.
     */
    public synchronized boolean follow(SocketChannel socket, Set<String> resources) {
        if (followers.size() >= MAX_FOLLOWERS) {
            return false;
        }
        EventFollower follower = new EventFollower(socket, resources, this);
        for (Map.Entry<String, ResourceState> entry : states.entrySet()) {
            if (follower.wants(entry.getKey())) {
                ResourceState state = entry.getValue();
                follower.offer(encode(entry.getKey(), "exists", nv -> {
                    nv.addString("role", state.role);
                    nv.addString("connection", state.connection);
                    nv.addString("sync", state.syncing ? "running" : "idle");
                    nv.addUint64("workerpid", state.workerPid);
                }));
            }
        }
        followers.add(follower);
        follower.start();
        return true;
    }

    /** No room for another follower. */
    public synchronized boolean full() {
        return followers.size() >= MAX_FOLLOWERS;
    }

    synchronized void remove(EventFollower follower) {
        followers.remove(follower);
    }

    synchronized int followerCount() {
        return followers.size();
    }

    ByteBuffer droppedEvent(int behind) {
        return encode(null, "dropped", nv -> nv.addUint64("behind", behind));
    }

    void schedule(Runnable task, long delayMillis) {
        timer.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
    }

    private ResourceState state(String resource) {
        return states.computeIfAbsent(resource, name -> new ResourceState());
    }

    private void track(String resource, String kind, Consumer<NvWriter> fields) {
        ResourceState state = state(resource);
        switch (kind) {
            case "connect" -> state.connection = "up";
            case "disconnect" -> {
                state.connection = "down";
                state.syncing = false;
            }
            case "sync-start" -> state.syncing = true;
            case "sync-done", "sync-interrupted" -> state.syncing = false;
            default -> {
            }
        }
    }

    private static ByteBuffer encode(String resource, String kind, Consumer<NvWriter> fields) {
        NvWriter nv = new NvWriter();
        nv.addUint64("time", System.currentTimeMillis());
        nv.addString("event", kind);
        if (resource != null) {
            nv.addString("resource", resource);
        }
        fields.accept(nv);
        ByteBuffer body = nv.encode();
        ByteBuffer header = new FrameHeader(ControlCodes.FRAME_VERSION, body.remaining()).encode();
        ByteBuffer frame = ByteBuffer.allocate(header.remaining() + body.remaining());
        frame.put(header).put(body).flip();
        return frame.asReadOnlyBuffer();
    }

    @Override
    public synchronized void close() {
        for (EventFollower follower : List.copyOf(followers)) {
            follower.close();
        }
        followers.clear();
        timer.shutdownNow();
    }
}
