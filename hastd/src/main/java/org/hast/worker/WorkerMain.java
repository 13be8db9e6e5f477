package org.hast.worker;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Paths;

import org.hast.conf.ResourceConfig;
import org.hast.daemon.channel.NvChannel;
import org.hast.daemon.channel.WorkerProtocol;
import org.hast.daemon.log.HastLogging;
import org.hast.daemon.process.FatalThreads;
import org.hast.daemon.process.JvmDefaults;
import org.hast.daemon.process.Signals;
import org.hast.nv.NvFormatException;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.hast.proto.Role;
import org.hast.util.SysExits;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.hast.role.WorkerExit;
import org.hast.role.Worker;

/**
 * A worker JVM (decisions §5): {@code WorkerMain "hastd: <name> (<role>)" <channel-socket>}.
 * The first argument exists for {@code ps}/{@code pgrep -f}; everything else arrives over the
 * channel from the main process: first the configuration (answered once start-up is done),
 * then status and reload requests. A broken channel means the main process is gone, and the
 * worker ends as on SIGTERM (spec §3.3).
 */
public final class WorkerMain {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerMain.class);
    private static final int EINVAL = 22;

    private final NvChannel channel;
    /** The descriptor channel a secondary receives its two connections on, or -1. */
    private final int fdChannel;
    private ResourceConfig config;
    private Worker worker;
    private final WorkerObservation observed = new WorkerObservation(System.currentTimeMillis());
    private WorkerWatch watch;
    /** Events and notices go out one at a time, in the order they happened. */
    private final Object eventLock = new Object();

    private WorkerMain(NvChannel channel, int fdChannel) {
        this.channel = channel;
        this.fdChannel = fdChannel;
    }

    public static void main(String[] args) {
        // Also covers this thread: a worker must not outlive its control loop.
        FatalThreads.installDefault();
        JvmDefaults.apply();
        if (args.length != 2 && args.length != 3) {
            System.err.println("[ERROR] WorkerMain is started by hastd, not by hand.");
            System.exit(SysExits.EX_USAGE);
        }
        // jnr-ffi builds its libc binding at first use (~150 ms): overlap that with the JVM's
        // other start-up work instead of paying it when the local component is locked.
        FatalThreads.start("libc-preload", org.hast.sys.LibC::get);
        // ps shows argv[0] of the JVM on FreeBSD; setproctitle makes it "hastd: <name> (<role>)".
        org.hast.platform.host.HostPlatform.current().setProcessTitle(args[0]);
        NvChannel channel;
        int fdChannel;
        try {
            SocketChannel socket = SocketChannel.open(StandardProtocolFamily.UNIX);
            socket.connect(UnixDomainSocketAddress.of(Paths.get(args[1])));
            channel = new NvChannel(socket, WorkerProtocol.MAX_MESSAGE_BYTES);
            fdChannel = args.length == 3 ? org.hast.sys.RawUnixSocket.connect(Paths.get(args[2])) : -1;
        } catch (IOException e) {
            System.err.println("[ERROR] " + args[0] + ": unable to reach the main process: " + e.getMessage());
            System.exit(SysExits.EX_OSERR);
            return;
        }
        new WorkerMain(channel, fdChannel).run();
    }

    private void run() {
        int exitCode;
        try {
            exitCode = serve();
        } catch (WorkerExit e) {
            LOG.error(e.getMessage());
            exitCode = e.exitCode();
        }
        shutdown();
        System.exit(exitCode);
    }

    private int serve() throws WorkerExit {
        while (true) {
            NvMessage request;
            try {
                request = channel.receive();
            } catch (EOFException e) {
                LOG.debug("The main process closed the channel, exiting.");
                return SysExits.EX_OK;
            } catch (IOException e) {
                throw new WorkerExit(SysExits.EX_OSERR, "Unable to receive control header: " + e.getMessage() + ".");
            }
            if (!request.has("cmd")) {
                // Event acknowledgements would land here once workers emit events.
                continue;
            }
            int cmd = request.getUint8("cmd");
            NvWriter reply = new NvWriter();
            switch (cmd) {
                case WorkerProtocol.CONTROL_CONFIG -> configure(request);
                case WorkerProtocol.CONTROL_STATUS -> statusOf(reply);
                case WorkerProtocol.CONTROL_RELOAD -> reload(request);
                case WorkerProtocol.CONTROL_VERIFY -> {
                    String refused = worker == null ? "the resource is not configured yet"
                            : worker.verify(request.getUint8("verify"));
                    if (refused != null) {
                        reply.addString("verifyerr", refused);
                    }
                }
                default -> {
                    LOG.error("Control header contains invalid 'cmd' ({}).", cmd);
                    reply.addInt16("error", EINVAL);
                    send(reply);
                    continue;
                }
            }
            reply.addInt16("error", 0);
            send(reply);
        }
    }

    private static java.nio.file.Path devdir(NvMessage request) {
        String devdir = request.getString("devdir");
        return java.nio.file.Paths.get(devdir == null || devdir.isEmpty() ? org.hast.conf.HastConfig.DEFAULT_DEVDIR : devdir);
    }

    private static java.nio.file.Path statedir(NvMessage request) {
        String statedir = request.getString("statedir");
        return java.nio.file.Paths.get(statedir == null || statedir.isEmpty()
                ? org.hast.conf.HastConfig.DEFAULT_STATEDIR : statedir);
    }

    private void configure(NvMessage request) throws WorkerExit {
        if (config != null) {
            throw new WorkerExit(SysExits.EX_SOFTWARE, "Configuration received twice.");
        }
        Role role;
        try {
            config = WorkerProtocol.resourceFrom(request, null);
            role = Role.fromCode(request.requireUint8("role"));
            int debug = request.requireUint8("debug");
            if (request.requireUint8("foreground") != 0) {
                HastLogging.configureForeground(debug);
            } else {
                HastLogging.configureSyslog(debug);
            }
        } catch (NvFormatException e) {
            throw new WorkerExit(SysExits.EX_SOFTWARE, "Invalid configuration from the main process: " + e.getMessage());
        }
        HastLogging.setPrefix(HastLogging.workerPrefix(config.name(), role.displayName()));
        installSignalHandlers();
        switch (role) {
            case PRIMARY -> worker = new PrimaryWorker(config, devdir(request), statedir(request), this::emitEvent);
            case SECONDARY -> worker = secondary(request);
            default -> throw new WorkerExit(SysExits.EX_SOFTWARE, "No worker for role " + role + ".");
        }
        worker.start();
        watch = new WorkerWatch(worker, observed, this::sendNotice);
        watch.start();
    }

    /** A secondary: its two connections from the descriptor channel, the handshake from the request. */
    private Worker secondary(NvMessage request) throws WorkerExit {
        if (fdChannel < 0) {
            throw new WorkerExit(SysExits.EX_SOFTWARE, "A secondary worker needs its connections.");
        }
        int[] fds = new int[2];
        try {
            for (int i = 0; i < 2; i++) {
                org.hast.sys.ReceivedFd received = org.hast.sys.FdPassing.receiveFd(fdChannel, new byte[8]);
                if (!received.hasFd()) {
                    throw new IOException("a message without a connection");
                }
                fds[i] = received.fd();
            }
            org.hast.sys.RawUnixSocket.close(fdChannel);
        } catch (IOException e) {
            throw new WorkerExit(SysExits.EX_TEMPFAIL, "Unable to receive the replication connections: "
                    + e.getMessage());
        }
        org.hast.secondary.SecondaryWorker.PrimaryHello hello;
        try {
            hello = new org.hast.secondary.SecondaryWorker.PrimaryHello(request.requireUint8("hsversion"),
                    request.requireUint64("hsresuid"), request.requireUint64("hslocalcnt"),
                    request.requireUint64("hsremotecnt"), request.has("hsvirgin"),
                    (int) request.getUint32("hscaps"));
        } catch (NvFormatException e) {
            throw new WorkerExit(SysExits.EX_SOFTWARE, "Invalid handshake from the main process: " + e.getMessage());
        }
        return new org.hast.secondary.SecondaryWorker(config, hello, fds[0], fds[1], statedir(request),
                this::emitEvent);
    }

    /** Tells the main process of an event (spec §9.1); its acknowledgement needs no waiting. */
    private void emitEvent(int code) {
        synchronized (eventLock) {
            observed.onEvent(code, System.currentTimeMillis());
            try {
                channel.send(WorkerProtocol.event(code));
            } catch (IOException e) {
                LOG.warn("Unable to send event {} to the main process: {}", code, e.getMessage());
            }
        }
    }

    /** A notice for the events stream (not acknowledged); nothing when {@code notice} gives null. */
    private void sendNotice(java.util.function.Supplier<NvWriter> notice) {
        synchronized (eventLock) {
            NvWriter message = notice.get();
            if (message == null) {
                return;
            }
            try {
                channel.send(message);
            } catch (IOException e) {
                LOG.debug("Unable to send a notice to the main process: {}", e.getMessage());
            }
        }
    }

    private void statusOf(NvWriter reply) throws WorkerExit {
        if (worker == null) {
            throw new WorkerExit(SysExits.EX_SOFTWARE, "Status requested before configuration.");
        }
        worker.status(reply);
        worker.extendedStatus(reply);
        observed.addTo(reply);
    }

    private void reload(NvMessage request) throws WorkerExit {
        if (worker == null) {
            throw new WorkerExit(SysExits.EX_SOFTWARE, "Reload requested before configuration.");
        }
        try {
            config = WorkerProtocol.resourceFrom(request, config);
        } catch (NvFormatException e) {
            LOG.error("Invalid reload request: {}", e.getMessage());
            return;
        }
        worker.reload(config);
    }

    private void send(NvWriter reply) throws WorkerExit {
        try {
            channel.send(reply);
        } catch (IOException e) {
            throw new WorkerExit(SysExits.EX_OSERR, "Unable to send control response: " + e.getMessage() + ".");
        }
    }

    private void installSignalHandlers() throws WorkerExit {
        try {
            Signals.handle("TERM", this::terminate);
            Signals.handle("INT", this::terminate);
        } catch (IllegalStateException e) {
            throw new WorkerExit(SysExits.EX_OSERR, "Unable to install signal handlers: " + e.getMessage() + ".");
        }
    }

    private void terminate() {
        LOG.info("Termination signal received, exiting.");
        shutdown();
        Runtime.getRuntime().halt(SysExits.EX_OK);
    }

    private synchronized void shutdown() {
        if (watch != null) {
            watch.close();
        }
        if (worker != null) {
            worker.close();
            worker = null;
        }
        try {
            channel.close();
        } catch (IOException e) {
            // Exiting anyway.
        }
    }
}
