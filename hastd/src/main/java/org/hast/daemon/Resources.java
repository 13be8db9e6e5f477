package org.hast.daemon;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Timer;
import java.util.TimerTask;

import org.hast.conf.ResourceConfig;
import org.hast.daemon.channel.WorkerProtocol;
import org.hast.daemon.events.EventHub;
import org.hast.daemon.hooks.HookEvent;
import org.hast.daemon.hooks.HookRunner;
import org.hast.daemon.supervision.WorkerHandle;
import org.hast.daemon.supervision.WorkerLauncher;
import org.hast.daemon.supervision.WorkerListener;
import org.hast.proto.Role;
import org.hast.util.SysExits;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The resource table of the main process and everything that changes it: role changes
 * (spec §3.4), worker exits and restarts (§3.7) and worker events (§9). Runs on the
 * {@link MainLoop} thread only.
 */
final class Resources implements WorkerListener {
    private static final Logger LOG = LoggerFactory.getLogger(Resources.class);
    /** How long a worker gets to end after SIGTERM before SIGKILL. */
    static final Duration TERMINATE_GRACE = Duration.ofSeconds(30);
    private static final long RESTART_DELAY_MILLIS = 1_000;
    private static final int EINVAL = 22;

    private final MainLoop loop;
    private final WorkerLauncher launcher;
    private final HookRunner hooks;
    private final EventHub events;
    private final Timer timer = new Timer("restart-timer", true);
    /** Copy-on-write: Netty threads check peers against it while the main loop owns changes. */
    private final List<ResourceSlot> slots = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final int debugLevel;
    private String devdir;
    private String statedir;

    Resources(MainLoop loop, WorkerLauncher launcher, HookRunner hooks, EventHub events, int debugLevel,
              String devdir, String statedir) {
        this.loop = loop;
        this.events = events;
        this.launcher = launcher;
        this.hooks = hooks;
        this.debugLevel = debugLevel;
        this.devdir = devdir;
        this.statedir = statedir;
    }

    List<ResourceSlot> slots() {
        return slots;
    }

    Optional<ResourceSlot> find(String name) {
        return slots.stream().filter(slot -> slot.name().equals(name)).findFirst();
    }

    void setDirs(String devdir, String statedir) {
        this.devdir = devdir;
        this.statedir = statedir;
    }

    /**
     * Changes a resource's role (spec §3.4); returns the previous one. Equal roles do nothing;
     * otherwise the old worker is stopped, a primary gets a new worker at once, a secondary
     * waits for a primary to connect, and the {@code role} hook runs.
     */
    Role changeRole(ResourceSlot slot, Role newRole) {
        Role old = slot.role;
        if (old == newRole) {
            return old;
        }
        LOG.info("{}Role changed to {}.", slot.tag(), newRole.displayName());
        slot.role = newRole;
        if (slot.pendingIn != null) {
            slot.pendingIn.close();
            slot.pendingIn = null;
        }
        stopWorker(slot);
        events.role(slot.name(), newRole.displayName(), old.displayName());
        if (newRole == Role.PRIMARY) {
            startWorker(slot);
        }
        hooks.runRole(slot.config.exec(), slot.name(), old.displayName(), newRole.displayName());
        return old;
    }

    void stopWorker(ResourceSlot slot) {
        WorkerHandle worker = slot.worker;
        if (worker == null) {
            return;
        }
        slot.worker = null;
        events.workerPid(slot.name(), 0);
        LOG.debug("{}Terminating worker process (pid={}).", slot.tag(), worker.pid());
        worker.terminate(TERMINATE_GRACE);
    }

    /**
     * Starts the secondary worker for a completed connection pair (spec §3.5 step 6): both sockets
     * go to it, and the primary's second header (its counters) travels in its configuration.
     */
    void startSecondary(ResourceSlot slot, io.netty.channel.socket.SocketChannel in,
                        io.netty.channel.socket.SocketChannel out, org.hast.nv.NvMessage header) {
        int version = slot.protocolVersion;
        startWorker(slot, List.of(in, out), nv -> WorkerProtocol.addSecondaryHandshake(nv, header, version));
    }

    private void startWorker(ResourceSlot slot) {
        startWorker(slot, List.of(), null);
    }

    private void startWorker(ResourceSlot slot, List<io.netty.channel.socket.SocketChannel> handOff,
                             java.util.function.Consumer<org.hast.nv.NvWriter> handshake) {
        try {
            WorkerHandle worker = launcher.launch(slot.config, slot.role, debugLevel, devdir, statedir, this, handOff,
                    handshake);
            slot.worker = worker;
            events.workerPid(slot.name(), worker.pid());
            worker.process().onExit().thenAccept(process ->
                    loop.execute(() -> workerExited(slot, worker, process.exitValue())));
            worker.ready().whenComplete((reply, failure) -> {
                if (failure == null) {
                    LOG.debug("{}Worker process ready (pid={}).", slot.tag(), worker.pid());
                }
            });
        } catch (IOException e) {
            handOff.forEach(io.netty.channel.Channel::close);
            if (slot.role != Role.PRIMARY) {
                LOG.error("{}Unable to start worker process: {}.", slot.tag(), e.getMessage());
                return;
            }
            // The reference exits the whole daemon when fork fails; a failed JVM start only
            // sends this resource back to init.
            LOG.error("{}Unable to start worker process: {}.", slot.tag(), e.getMessage());
            Role old = slot.role;
            slot.role = Role.INIT;
            events.role(slot.name(), Role.INIT.displayName(), old.displayName());
            hooks.runRole(slot.config.exec(), slot.name(), old.displayName(), Role.INIT.displayName());
        }
    }

    /** A worker process ended (spec §3.7). Workers we stopped ourselves were already detached. */
    private void workerExited(ResourceSlot slot, WorkerHandle worker, int exitValue) {
        boolean signalled = exitValue > 128;
        String tag = "[" + worker.resource() + "] (" + worker.role().displayName() + ") ";
        if (exitValue == 0) {
            LOG.debug("{}Worker process exited gracefully (pid={}).", tag, worker.pid());
        } else if (signalled) {
            LOG.error("{}Worker process killed (pid={}, signal={}).", tag, worker.pid(), exitValue - 128);
        } else {
            LOG.error("{}Worker process exited ungracefully (pid={}, exitcode={}).", tag, worker.pid(), exitValue);
        }
        worker.closeChannel();
        if (slot.worker != worker || !slots.contains(slot)) {
            return;
        }
        slot.worker = null;
        events.workerPid(slot.name(), 0);
        events.publish(slot.name(), "worker-exit", nv -> {
            nv.addUint64("workerpid", worker.pid());
            if (signalled) {
                nv.addInt32("signal", exitValue - 128);
            } else {
                nv.addInt32("exitcode", exitValue);
            }
        });
        if (slot.role != Role.PRIMARY) {
            return;
        }
        // EX_SOFTWARE is a thread that died (docs/failure-policy.md): the reference aborts on a
        // failed assertion and restarts the worker killed by SIGABRT; so do we.
        if (signalled || exitValue == SysExits.EX_TEMPFAIL || exitValue == SysExits.EX_SOFTWARE) {
            timer.schedule(new TimerTask() {
                @Override
                public void run() {
                    loop.execute(() -> {
                        if (slot.role == Role.PRIMARY && slot.worker == null && slots.contains(slot)) {
                            LOG.warn("{}Restarting worker process.", slot.tag());
                            slot.restarts++;
                            startWorker(slot);
                            events.publish(slot.name(), "worker-restart", nv -> nv.addUint64("workerpid",
                                    slot.workerPid()));
                        }
                    });
                }
            }, RESTART_DELAY_MILLIS);
        } else {
            LOG.error("{}Changing resource role back to init.", slot.tag());
            slot.role = Role.INIT;
            events.role(slot.name(), Role.INIT.displayName(), Role.PRIMARY.displayName());
            // A18: the reference skips the hook here; scripts must hear of every role change.
            hooks.runRole(slot.config.exec(), slot.name(), Role.PRIMARY.displayName(), Role.INIT.displayName());
        }
    }

    @Override
    public void onEvent(WorkerHandle worker, int code) {
        loop.execute(() -> {
            Optional<HookEvent> event = HookEvent.fromCode(code);
            Optional<ResourceSlot> slot = find(worker.resource());
            if (event.isEmpty() || slot.isEmpty()) {
                // A30: logged and refused, the worker lives on.
                LOG.error("[{}] Invalid event received ({}).", worker.resource(), code);
                worker.ackEvent(EINVAL);
                return;
            }
            hooks.runEvent(slot.get().config.exec(), event.get(), worker.resource());
            worker.ackEvent(0);
            events.publish(worker.resource(), streamName(event.get()), nv -> { });
        });
    }

    /** The events stream's name of a hook event (docs/events.md). */
    private static String streamName(HookEvent event) {
        return switch (event) {
            case SYNCSTART -> "sync-start";
            case SYNCDONE -> "sync-done";
            case SYNCINTR -> "sync-interrupted";
            default -> event.hookName();
        };
    }

    @Override
    public void onNotice(WorkerHandle worker, org.hast.nv.NvMessage notice) {
        loop.execute(() -> {
            if (find(worker.resource()).map(slot -> slot.worker != worker).orElse(true)) {
                return; // a worker already replaced
            }
            events.publish(worker.resource(), notice.getString("notice"), nv -> {
                for (int i = 0; i < notice.size(); i++) {
                    if (!notice.nameAt(i).equals("notice")) {
                        nv.addRaw(notice.typeAt(i), notice.nameAt(i), notice.payloadAt(i));
                    }
                }
            });
        });
    }

    @Override
    public void onChannelLost(WorkerHandle worker, String reason) {
        LOG.warn("[{}] ({}) Lost the worker's channel ({}); stopping it.", worker.resource(),
                worker.role().displayName(), reason);
        worker.process().destroy();
    }

    /** SIGTERM to every worker, then waits for them (the reference does not wait). */
    void terminateAll() {
        for (ResourceSlot slot : slots) {
            if (slot.worker != null) {
                LOG.info("Terminating worker process (resource={}, role={}, pid={}).", slot.name(),
                        slot.role.displayName(), slot.worker.pid());
                slot.worker.process().destroy();
            }
        }
        for (ResourceSlot slot : slots) {
            if (slot.worker != null) {
                slot.worker.terminate(TERMINATE_GRACE);
                slot.worker = null;
            }
        }
        timer.cancel();
    }

    void add(ResourceConfig config) {
        slots.add(new ResourceSlot(config));
        events.configured(slots.stream().map(ResourceSlot::name).toList());
    }

    /** Replaces the table's order and contents with {@code order} (after a reload). */
    void reorder(List<ResourceSlot> order) {
        slots.clear();
        slots.addAll(order);
        events.configured(slots.stream().map(ResourceSlot::name).toList());
    }
}
