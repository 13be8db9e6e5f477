package org.hast.sync;

import org.hast.block.BlockBackend;

/**
 * What the sync thread needs from the I/O path: one synchronisation step (spec §7.7), a range
 * read from the sync source and written to the other node while regular writes to it wait.
 * {@link org.hast.primary.PrimaryPipeline} is the real one; tests plug in their own.
 */
public interface SyncCopier {
    /**
     * Copies {@code [offset, offset+length)} of the data area; may block the caller until the
     * range is free of regular writes. {@code done} gets 0 or the errno of the failed half, on
     * any thread, exactly once.
     */
    void syncCopy(long offset, int length, boolean fromSecondary, BlockBackend.Completion done)
            throws InterruptedException;

    /**
     * The longest range one {@link #syncCopy} may be given now: the activemap's cursor step
     * (MAXPHYS of the oldest peer, 128 KiB) unless the connected peer takes more. The sync
     * thread joins consecutive cursor steps of one extent up to it.
     */
    default int maxCopyBytes() {
        return 0;
    }
}
