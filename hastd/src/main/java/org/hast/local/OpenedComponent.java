package org.hast.local;

import java.io.IOException;
import java.nio.file.Paths;
import java.util.function.UnaryOperator;

import org.hast.conf.LocalIoMode;
import org.hast.meta.Metadata;
import org.hast.meta.MetadataException;
import org.hast.util.SysExits;
import org.hast.role.WorkerExit;

/**
 * How every worker starts (spec §3.7): its local component opened and locked, and its metadata
 * read; either failure ends the worker with {@code EX_NOINPUT} and the reference's message.
 */
public record OpenedComponent(LocalComponent local, Metadata metadata) {

    public static OpenedComponent open(String path, String resource, LocalIoMode mode) throws WorkerExit {
        LocalComponent local;
        try {
            local = LocalComponent.open(Paths.get(path), mode, UnaryOperator.identity());
        } catch (IOException e) {
            throw new WorkerExit(SysExits.EX_NOINPUT, e.getMessage());
        }
        try {
            return new OpenedComponent(local, local.readMetadata(resource));
        } catch (IOException e) {
            local.close();
            throw new WorkerExit(SysExits.EX_NOINPUT, "Unable to read metadata from " + local.path() + ": "
                    + e.getMessage() + ".");
        } catch (MetadataException e) {
            local.close();
            throw new WorkerExit(SysExits.EX_NOINPUT, e.getMessage());
        }
    }
}
