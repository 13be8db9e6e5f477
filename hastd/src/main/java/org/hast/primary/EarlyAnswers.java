package org.hast.primary;

import org.hast.block.InflightBudget;
import org.hast.proto.HioCommand;

/**
 * Async's and memsync's answers before the secondary is done. Such an answer gives the client's
 * budget back (its NBD reply) while the payload stays here until the secondary is done, so a
 * WRITE is answered early only if it can hold budget bytes of its own until then, and otherwise
 * when it completes, as in fullsync. Without this an async client's payloads piled up in the
 * request slots beyond the budget, up to the direct-memory cap (docs/memory.md). Never waits.
 */
final class EarlyAnswers {
    private final InflightBudget budget;

    EarlyAnswers(InflightBudget budget) {
        this.budget = budget;
    }

    /** Whether {@code hio} may be answered now; if so it may hold bytes until {@link #done}. */
    boolean mayAnswer(Hio hio) {
        // A payload gathered from several reads keeps its own bytes until it is freed (the
        // export's BudgetedPayload): taking more for it would count it twice.
        if (hio.cmd != HioCommand.WRITE || InflightBudget.heldByItsBuffer(hio.data)) {
            return true;
        }
        if (!budget.tryAcquireNow(hio.length)) {
            return false;
        }
        hio.holdsBudget = true;
        return true;
    }

    /** {@code hio} completed: the bytes it held for its early answer go back. */
    void done(Hio hio) {
        if (hio.holdsBudget) {
            budget.release(hio.length);
        }
    }
}
