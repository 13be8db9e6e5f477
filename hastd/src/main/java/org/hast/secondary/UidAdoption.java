package org.hast.secondary;

import java.io.IOException;
import java.util.BitSet;

import org.hast.local.LocalComponent;
import org.hast.local.StaleExtentsFile;
import org.hast.meta.Metadata;
import org.hast.proto.Role;

/**
 * A fresh secondary (resource UID 0) takes the primary's UID at its first handshake (spec §5.4
 * case 1) and, when the primary already holds data, asks for everything with an all-ones map.
 * The UID is written to disk before that map reaches the primary. If the handshake then fails
 * (the primary's timeout under load, a crash), the next attempt no longer sees a fresh node:
 * the counters say "secondary out of date", the map comes from disk and is empty, and the
 * primary reports the nodes in sync while this copy was never written. The reference has the
 * same window. So every extent is first recorded as stale in the state file that a failed local
 * write uses (A10): each later handshake sends them as dirty until the primary has taken the
 * map, and the file goes only then.
 */
final class UidAdoption {
    private UidAdoption() {
    }

    /**
     * Writes {@code metadata} with the primary's {@code resuid} and returns it; with
     * {@code fullSync}, every extent is durably recorded in {@code stale} first.
     */
    static Metadata adopt(LocalComponent local, Metadata metadata, long resuid, boolean fullSync,
            StaleExtentsFile stale) throws IOException {
        if (fullSync) {
            int extents = (int) ((metadata.dataSize() + metadata.extentSize() - 1) / metadata.extentSize());
            BitSet all = new BitSet(extents);
            all.set(0, extents);
            stale.store(resuid, metadata.extentSize(), all);
        }
        Metadata adopted = metadata.withResUid(resuid).withPrevRole(Role.SECONDARY);
        local.writeMetadata(adopted, true);
        return adopted;
    }
}
