package org.hast.device.nbd;

import static org.hast.device.nbd.NbdProtocol.*;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

import org.hast.block.BlockBackend;
import org.hast.block.InflightBudget;

/**
 * What one export offers: its name (the resource name), its backend and its flags; and the
 * budget its requests' bytes are admitted into (the worker's, shared with every other client).
 */
public final class NbdExport {
    private final String name;
    private final byte[] nameBytes;
    private final BlockBackend backend;
    private final int transmissionFlags;
    private final InflightBudget budget;

    /** With this JVM's (the worker's) budget. */
    public NbdExport(String name, BlockBackend backend) {
        this(name, backend, InflightBudget.shared());
    }

    public NbdExport(String name, BlockBackend backend, InflightBudget budget) {
        this.name = Objects.requireNonNull(name, "name");
        this.backend = Objects.requireNonNull(backend, "backend");
        this.budget = Objects.requireNonNull(budget, "budget");
        this.nameBytes = name.getBytes(StandardCharsets.UTF_8);
        if (nameBytes.length > 4096) {
            throw new IllegalArgumentException("NBD export names are at most 4096 bytes: " + name);
        }
        this.transmissionFlags = transmissionFlags(backend);
    }

    /**
     * HAS_FLAGS, FLUSH, FUA, TRIM, WRITE_ZEROES and FAST_ZERO always; CAN_MULTI_CONN only when
     * a FLUSH on one connection covers the writes completed on the others.
     */
    public static int transmissionFlags(BlockBackend backend) {
        int flags = TFLAG_HAS_FLAGS | TFLAG_SEND_FLUSH | TFLAG_SEND_FUA | TFLAG_SEND_TRIM
                | TFLAG_SEND_WRITE_ZEROES | TFLAG_SEND_FAST_ZERO;
        if (backend.flushCoversAllClients()) {
            flags |= TFLAG_CAN_MULTI_CONN;
        }
        return flags;
    }

    public String name() {
        return name;
    }

    byte[] nameBytes() {
        return nameBytes;
    }

    public BlockBackend backend() {
        return backend;
    }

    public InflightBudget budget() {
        return budget;
    }

    public int transmissionFlags() {
        return transmissionFlags;
    }

    /** The empty name is the default export, which is this one (there is only one). */
    boolean matches(byte[] requested) {
        return requested.length == 0 || Arrays.equals(requested, nameBytes);
    }
}
