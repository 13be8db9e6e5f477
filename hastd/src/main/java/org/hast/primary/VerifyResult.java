package org.hast.primary;

/**
 * The outcome of one verify step ({@link PrimaryPipeline#verifyStep}): an errno, or 0 and the
 * blocks whose hashes differ between the nodes. Runs on an I/O thread with the range still
 * locked, so it must not block.
 */
public interface VerifyResult {
    void verified(int errno, long mismatchingBlocks);
}
