package org.hast.device.nbd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.hast.block.InflightBudget;

/** A file backend and an NBD server on a Unix socket in a temp directory, for one test. */
final class NbdFixture implements AutoCloseable {
    static final String EXPORT = "res0";

    final Path dir;
    final Path file;
    final Path socket;
    final FileBackend fileBackend;
    final ScriptedBackend backend;
    final NbdServer server;

    NbdFixture(Path dir, long size, boolean multiConn) throws IOException {
        this(dir, size, multiConn, 1);
    }

    /** With a backend of {@code sectorSize}-byte sectors (the server's minimum block size). */
    NbdFixture(Path dir, long size, boolean multiConn, int sectorSize) throws IOException {
        this(dir, size, multiConn, sectorSize, InflightBudget.shared());
    }

    /** With its own budget for bytes in flight. */
    NbdFixture(Path dir, long size, InflightBudget budget) throws IOException {
        this(dir, size, true, 1, budget);
    }

    private NbdFixture(Path dir, long size, boolean multiConn, int sectorSize, InflightBudget budget)
            throws IOException {
        this.dir = dir;
        this.file = dir.resolve("disk.img");
        this.socket = dir.resolve("nbd.sock");
        this.fileBackend = new FileBackend(file, size, multiConn, sectorSize);
        this.backend = new ScriptedBackend(fileBackend);
        this.server = NbdServer.start("uds://" + socket, new NbdExport(EXPORT, backend, budget));
    }

    NbdFixture(Path dir, long size) throws IOException {
        this(dir, size, true);
    }

    NbdTestClient client() throws IOException {
        return NbdTestClient.connect(socket);
    }

    /** A client already in transmission on our export. */
    NbdTestClient transmitting() throws IOException {
        NbdTestClient c = client();
        c.handshake(EXPORT);
        return c;
    }

    /** nbd+unix URI for libnbd and qemu. */
    String uri() {
        return "nbd+unix:///" + EXPORT + "?socket=" + socket;
    }

    byte[] fileBytes() throws IOException {
        return Files.readAllBytes(file);
    }

    @Override
    public void close() throws IOException {
        backend.releaseHeld(); // a failed test must not leave a held request (and its buffer) behind
        backend.releaseKeptPayloads();
        server.close();
        fileBackend.close();
    }
}
