package org.hast.ctl;

import java.util.ArrayList;
import java.util.List;

import org.hast.conf.HastConfig;
import org.hast.control.ControlCodes;
import org.hast.nv.NvWriter;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code hastctl stop}: asks the running hastd to end as on SIGTERM (our extension, decisions §3;
 * FreeBSD's 2026 regression test calls it). Without a daemon it fails like {@code status}.
 */
@Command(name = "stop")
final class StopCommand extends CtlCommand {
    @Parameters(paramLabel = "name", hidden = true)
    List<String> extra = new ArrayList<>();

    @Override
    boolean argumentsValid() {
        return extra.isEmpty();
    }

    @Override
    int run(CtlContext context) throws CtlException {
        HastConfig config = common.loadConfig(context);
        NvWriter request = new NvWriter();
        request.addUint8("cmd", ControlCodes.CMD_STOP);
        ControlClient.exchange(config.controlAddress(), request);
        return 0;
    }
}
