package org.hast.daemon;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.hast.conf.AddressException;
import org.hast.conf.HastAddress;
import org.hast.conf.HastConfig;
import org.hast.conf.NodeIdentity;
import org.hast.conf.ResourceConfig;
import org.hast.daemon.control.ControlServer;
import org.hast.daemon.events.EventHub;
import org.hast.daemon.metrics.MetricsEndpoint;
import org.hast.daemon.metrics.ScrapeTarget;
import org.hast.daemon.hooks.HookRunner;
import org.hast.daemon.net.ReplicationServer;
import org.hast.daemon.process.FatalThreads;
import org.hast.daemon.process.Signals;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import org.hast.transport.Transport;
import org.hast.daemon.supervision.WorkerLauncher;
import org.hast.util.SysExits;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The main hastd process (spec §3.2, §3.3, §3.9): opens the pidfile, the control socket and the
 * listen sockets, then runs the main loop until SIGTERM/SIGINT or {@code hastctl stop}.
 */
final class Hastd {
    private static final Logger LOG = LoggerFactory.getLogger(Hastd.class);
    static final int PROTOCOL_VERSION = 2;

    private final Path configFile;
    private final NodeIdentity identity;
    private final int debugLevel;
    private final boolean foreground;
    private final String pidfileOverride;
    private final MainLoop loop = new MainLoop();
    private HastConfig config;
    private Pidfile pidfile;
    private ControlServer control;
    private final Map<String, ReplicationServer> listeners = new LinkedHashMap<>();
    private WorkerLauncher launcher;
    private HookRunner hooks;
    private Resources resources;
    private ControlRequests requests;
    private IncomingConnections incoming;
    private final EventHub events = new EventHub();
    private EventRequests eventRequests;
    /** Null while the configuration has no {@code metrics} statement. */
    private MetricsEndpoint metrics;
    /** How long a scrape waits for each worker's answer. */
    static final java.time.Duration METRICS_WORKER_LIMIT = java.time.Duration.ofSeconds(2);
    /** One thread accepts replication connections and reads their first header (spec §3.5). */
    private final EventLoopGroup network = new MultiThreadIoEventLoopGroup(1,
            FatalThreads.eventLoops("hastd-net"), Transport.current().ioHandlerFactory());

    Hastd(Path configFile, HastConfig config, NodeIdentity identity, int debugLevel, boolean foreground,
          String pidfileOverride) {
        this.configFile = configFile;
        this.config = config;
        this.identity = identity;
        this.debugLevel = debugLevel;
        this.foreground = foreground;
        this.pidfileOverride = pidfileOverride;
    }

    /** A start-up failure: one error line, then exit with {@link #exitCode}. */
    static final class StartupException extends Exception {
        final int exitCode;

        StartupException(int exitCode, String message) {
            super(message, null, false, false);
            this.exitCode = exitCode;
        }
    }

    /** Steps 4–6 and 8 of spec §3.2; {@code ready} runs once everything is open. */
    void start(Runnable ready) throws StartupException {
        if (pidfileOverride != null || !foreground) {
            Path path = Paths.get(pidfileOverride != null ? pidfileOverride : config.pidfile());
            try {
                pidfile = Pidfile.open(path);
                // A JVM daemonises before this point (Daemonizer), so the PID is final already.
                pidfile.writePid(ProcessHandle.current().pid());
                LOG.debug("PID stored in {}.", pidfile.path());
            } catch (Pidfile.AlreadyRunningException e) {
                throw new StartupException(SysExits.EX_TEMPFAIL, "Another hastd is already running, pidfile: "
                        + path + ", pid: " + e.otherPid() + ".");
            } catch (IOException e) {
                LOG.warn("Unable to open or create pidfile {}: {}.", path, e.getMessage());
            }
        }
        // Step 5; a disposition inherited as ignored (nohup, a shell's background job) is reset.
        try {
            Signals.handle("HUP", () -> loop.execute(this::reload));
            Signals.handle("TERM", () -> loop.execute(this::terminationSignal));
            Signals.handle("INT", () -> loop.execute(this::terminationSignal));
        } catch (IllegalStateException e) {
            throw new StartupException(SysExits.EX_OSERR, "Unable to install signal handlers: " + e.getMessage() + ".");
        }
        try {
            control = openControl(config.controlAddress());
        } catch (IOException e) {
            throw new StartupException(SysExits.EX_OSERR, "Unable to listen on control address "
                    + config.controlAddress() + ": " + e.getMessage() + ".");
        }
        try {
            launcher = new WorkerLauncher(foreground);
        } catch (IOException e) {
            throw new StartupException(SysExits.EX_OSERR, "Unable to create the workers' directory: "
                    + e.getMessage() + ".");
        }
        hooks = new HookRunner(foreground);
        resources = new Resources(loop, launcher, hooks, events, debugLevel, config.devdir(), config.statedir());
        for (ResourceConfig resource : config.resources()) {
            resources.add(resource);
        }
        requests = new ControlRequests(resources,
                reply -> control.afterReply(reply, () -> loop.execute(this::stop)));
        incoming = new IncomingConnections(loop, resources);
        eventRequests = new EventRequests(resources, events);
        control.setStreams(eventRequests);
        if (!config.metricsAddress().isEmpty()) {
            try {
                metrics = MetricsEndpoint.open(config.metricsAddress(), this::scrapeTargets);
            } catch (IOException e) {
                throw new StartupException(SysExits.EX_OSERR, "Unable to serve metrics on "
                        + config.metricsAddress() + ": " + e.getMessage() + ".");
            }
        }
        for (String address : config.listenAddresses()) {
            try {
                listeners.put(address, ReplicationServer.open(address, network, incoming));
            } catch (IOException e) {
                throw new StartupException(SysExits.EX_OSERR, "Unable to listen on address " + address + ": "
                        + e.getMessage() + ".");
            }
        }
        control.start();
        ready.run();
        if (metrics != null) {
            LOG.info("Serving metrics on {} (port {}).", metrics.address(), metrics.port());
        }
        LOG.info("Started successfully, running protocol version {}.", PROTOCOL_VERSION);
        LOG.debug("Listening on control address {}.", control.address());
        for (String address : listeners.keySet()) {
            LOG.info("Listening on address {}.", address);
        }
    }

    private ControlServer openControl(String address) throws IOException {
        HastAddress parsed;
        try {
            parsed = HastAddress.parse(address, HastAddress.DEFAULT_PORT);
        } catch (AddressException e) {
            throw new IOException(e.getMessage(), e);
        }
        if (!parsed.isUds()) {
            // Peer credentials exist only on Unix sockets; a TCP control socket would be open to anyone.
            throw new IOException("the control address must be a Unix socket");
        }
        return ControlServer.open(address, Paths.get(parsed.path()),
                request -> loop.submit(() -> requests.handle(request)).thenCompose(reply -> reply));
    }

    /**
     * For a scrape, off the main loop: the resources as the loop sees them, each worker asked
     * at once with its own limit. A loop too busy to answer gives an empty scrape.
     */
    private List<ScrapeTarget> scrapeTargets() {
        try {
            return loop.submit(() -> {
                List<ScrapeTarget> targets = new ArrayList<>();
                for (ResourceSlot slot : resources.slots()) {
                    targets.add(new ScrapeTarget(slot.name(), slot.role.displayName(), slot.restarts,
                            slot.worker == null ? null : slot.worker.status(METRICS_WORKER_LIMIT)));
                }
                return targets;
            }).get(METRICS_WORKER_LIMIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.warn("Metrics scrape without resources: the main loop did not answer ({}).", e.toString());
            return List.of();
        }
    }

    /** Undoes a failed start: nothing of ours stays behind. */
    void abort() {
        if (metrics != null) {
            metrics.close();
        }
        events.close();
        if (control != null) {
            control.close();
        }
        for (ReplicationServer listener : listeners.values()) {
            listener.close();
        }
        if (launcher != null) {
            launcher.close();
        }
        network.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
        if (pidfile != null) {
            pidfile.close();
        }
    }

    /** Runs the main loop until stopped; returns the exit code. */
    int run() {
        loop.run(hooks::checkRunning);
        return SysExits.EX_OK;
    }

    private void terminationSignal() {
        LOG.info("Termination signal received, exiting.");
        stop();
    }

    /** SIGTERM semantics (§3.9, A15): workers stopped, control socket and pidfile removed. */
    private void stop() {
        resources.terminateAll();
        control.close();
        if (metrics != null) {
            metrics.close();
        }
        events.close();
        for (ReplicationServer listener : listeners.values()) {
            listener.close();
        }
        launcher.close();
        network.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
        if (pidfile != null) {
            pidfile.close();
        }
        loop.stop();
    }

    /** SIGHUP (spec §1.9); failures keep the old configuration. */
    private void reload() {
        LOG.info("Reloading configuration...");
        HastConfig fresh;
        try {
            fresh = org.hast.conf.ConfigParser.load(configFile, identity);
        } catch (org.hast.conf.ConfigException e) {
            LOG.error(e.getMessage());
            LOG.warn("Configuration not reloaded.");
            events.publish(null, "reload", nv -> nv.addString("result", "failed"));
            return;
        }
        ControlServer newControl = null;
        if (!fresh.controlAddress().equals(config.controlAddress())) {
            try {
                newControl = openControl(fresh.controlAddress());
            } catch (IOException e) {
                LOG.error("Unable to listen on control address {}: {}.", fresh.controlAddress(), e.getMessage());
                LOG.warn("Configuration not reloaded.");
                return;
            }
        }
        Map<String, ReplicationServer> newListeners = new LinkedHashMap<>();
        for (String address : fresh.listenAddresses()) {
            ReplicationServer existing = listeners.get(address);
            if (existing != null) {
                newListeners.put(address, existing);
                continue;
            }
            try {
                newListeners.put(address, ReplicationServer.open(address, network, incoming));
            } catch (IOException e) {
                LOG.warn("Unable to listen on address {}: {}.", address, e.getMessage());
            }
        }
        if (newListeners.isEmpty()) {
            LOG.error("No addresses to listen on.");
            if (newControl != null) {
                newControl.close();
            }
            LOG.warn("Configuration not reloaded.");
            return;
        }
        Pidfile newPidfile = null;
        if (!foreground && pidfileOverride == null && !fresh.pidfile().equals(config.pidfile())) {
            try {
                newPidfile = Pidfile.open(Paths.get(fresh.pidfile()));
                newPidfile.writePid(ProcessHandle.current().pid());
            } catch (IOException e) {
                LOG.warn("Unable to open or create pidfile {}: {}.", fresh.pidfile(), e.getMessage());
                newPidfile = null;
            }
        }
        // From here on nothing can fail.
        if (newControl != null) {
            control.close();
            control = newControl;
            control.start();
        }
        if (newPidfile != null) {
            if (pidfile != null) {
                pidfile.close();
            }
            pidfile = newPidfile;
        }
        for (Map.Entry<String, ReplicationServer> entry : listeners.entrySet()) {
            if (!newListeners.containsKey(entry.getKey())) {
                entry.getValue().close();
            }
        }
        listeners.clear();
        listeners.putAll(newListeners);
        resources.setDirs(fresh.devdir(), fresh.statedir());
        new ReloadResources(resources).apply(fresh.resources());
        if (!fresh.metricsAddress().equals(config.metricsAddress())) {
            reopenMetrics(fresh.metricsAddress());
        }
        control.setStreams(eventRequests);
        config = fresh;
        LOG.info("Configuration reloaded successfully.");
        events.publish(null, "reload", nv -> nv.addString("result", "ok"));
    }

    /** A changed {@code metrics} statement: the old endpoint closes, the new one opens if it can. */
    private void reopenMetrics(String address) {
        if (metrics != null) {
            metrics.close();
            metrics = null;
        }
        if (address.isEmpty()) {
            return;
        }
        try {
            metrics = MetricsEndpoint.open(address, this::scrapeTargets);
            LOG.info("Serving metrics on {}.", address);
        } catch (IOException e) {
            LOG.error("Unable to serve metrics on {}: {}.", address, e.getMessage());
        }
    }

    List<String> listenAddresses() {
        return new ArrayList<>(listeners.keySet());
    }
}
