package org.hast.ctl;

import picocli.CommandLine.Mixin;

/** A hastctl sub-command: parsed by picocli, run with the context, returns its exit code. */
abstract class CtlCommand {
    @Mixin
    CommonOptions common = new CommonOptions();

    /** Checks what picocli cannot (argument counts); false means "print usage, exit 64". */
    boolean argumentsValid() {
        return true;
    }

    abstract int run(CtlContext context) throws CtlException;
}
