package org.hast.worker;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import org.hast.codec.ChecksumAlgorithm;
import org.hast.codec.Compression;
import org.hast.conf.DeviceMode;
import org.hast.conf.ExportTls;
import org.hast.conf.ReplicationMode;
import org.hast.conf.ResourceConfig;
import org.hast.daemon.channel.NvChannel;
import org.hast.daemon.channel.WorkerProtocol;
import org.hast.daemon.log.HastLogging;
import org.hast.meta.DiskLayout;
import org.hast.meta.Metadata;
import org.hast.nv.NvWriter;
import org.hast.proto.Role;
import org.hast.local.LocalComponent;

/**
 * The build's training run for the workers' class-data-sharing archive (failover time is mostly
 * worker start-up): a primary worker's start on a scratch file, a client's first requests
 * through its NBD export, its channel and logging. Not part of the daemon's behaviour.
 */
public final class WorkerCdsTraining {
    private WorkerCdsTraining() {
    }

    public static void main(String[] args) throws Exception {
        org.hast.daemon.process.JvmDefaults.apply();
        // The worker's entry point and its static state, as a worker loads them first.
        Class.forName(WorkerMain.class.getName());
        Path dir = Files.createDirectories(Paths.get(args.length > 0 ? args[0] : "target/cds-training"));
        PrintStream sink = new PrintStream(OutputStream.nullOutputStream());
        HastLogging.configureForeground(1, sink, sink);
        HastLogging.setPrefix(HastLogging.workerPrefix("training", "primary"));
        Path disk = dir.resolve("worker.img");
        try (RandomAccessFile file = new RandomAccessFile(disk.toFile(), "rw")) {
            file.setLength(8L << 20);
        }
        DiskLayout layout = DiskLayout.forCreate(disk.toString(), 8L << 20, 512, null, 65536L, null);
        try (LocalComponent local = LocalComponent.open(disk)) {
            local.writeMetadata(Metadata.created("training", layout), true);
        }
        ResourceConfig config = new ResourceConfig("training", "training", disk.toString(), "none", "",
                ReplicationMode.MEMSYNC, ChecksumAlgorithm.NONE, Compression.HOLE, 20, "", true, DeviceMode.NONE,
                "uds://" + dir.resolve("train.nbd"), ExportTls.NONE, ResourceConfig.DEFAULT_LOCALIO);
        PrimaryWorker worker = new PrimaryWorker(config, dir.resolve("dev"), dir.resolve("state"), event -> { });
        worker.start();
        exercise(worker.pipeline());
        CdsTrainingNbdClient.exercise(dir.resolve("train.nbd"), config.name());
        NvWriter status = new NvWriter();
        worker.status(status);
        worker.close();
        channelRoundTrip(dir, config);
        Files.deleteIfExists(disk);
    }

    /** One write, read and flush through the I/O path, so its classes are in the archive too. */
    private static void exercise(org.hast.primary.PrimaryPipeline pipeline) throws Exception {
        io.netty.buffer.ByteBuf data = io.netty.buffer.PooledByteBufAllocator.DEFAULT.directBuffer(4096).writeZero(4096);
        java.util.concurrent.CompletableFuture<Integer> wrote = new java.util.concurrent.CompletableFuture<>();
        pipeline.write(0, data, false, wrote::complete);
        wrote.get(10, java.util.concurrent.TimeUnit.SECONDS);
        data.clear();
        java.util.concurrent.CompletableFuture<Integer> read = new java.util.concurrent.CompletableFuture<>();
        pipeline.read(0, 4096, data, read::complete);
        read.get(10, java.util.concurrent.TimeUnit.SECONDS);
        data.release();
        java.util.concurrent.CompletableFuture<Integer> flushed = new java.util.concurrent.CompletableFuture<>();
        pipeline.flush(flushed::complete);
        flushed.get(10, java.util.concurrent.TimeUnit.SECONDS);
    }

    private static void channelRoundTrip(Path dir, ResourceConfig config) throws IOException, Exception {
        Path socket = dir.resolve("train.sock");
        Files.deleteIfExists(socket);
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            try (SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                client.connect(UnixDomainSocketAddress.of(socket));
                try (SocketChannel accepted = server.accept()) {
                    NvChannel parent = new NvChannel(accepted, WorkerProtocol.MAX_MESSAGE_BYTES);
                    NvChannel child = new NvChannel(client, WorkerProtocol.MAX_MESSAGE_BYTES);
                    parent.send(WorkerProtocol.configRequest(config, Role.PRIMARY, 0, true, "/dev/hast",
                            "/var/lib/hast"));
                    WorkerProtocol.resourceFrom(child.receive(), null);
                    child.send(WorkerProtocol.errorReply(0));
                    parent.receive();
                }
            }
        } finally {
            Files.deleteIfExists(socket);
        }
    }
}
