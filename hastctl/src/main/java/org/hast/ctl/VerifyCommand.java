package org.hast.ctl;

import java.util.ArrayList;
import java.util.List;

import org.hast.conf.HastConfig;
import org.hast.control.ControlCodes;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.hast.util.SysExits;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hastctl verify [-r | -s] all|name...} (our extension, docs/integrity.md): starts online
 * verify on the primary (with {@code -r} differing blocks are resynchronised from it) or stops
 * it ({@code -s}). Progress and results are in hastd's log and the worker's status. A resource
 * that refuses (not primary here, a peer without the capability, one already running) is
 * reported on one line and the exit status is {@code EX_UNAVAILABLE}.
 */
@Command(name = "verify")
final class VerifyCommand extends CtlCommand {
    @Option(names = "-r", description = "repair: resynchronise differing blocks from the primary")
    boolean repair;

    @Option(names = "-s", description = "stop the verify in progress")
    boolean stop;

    @Parameters(paramLabel = "name")
    List<String> names = new ArrayList<>();

    @Override
    boolean argumentsValid() {
        return !names.isEmpty() && !(repair && stop);
    }

    @Override
    int run(CtlContext context) throws CtlException {
        HastConfig config = common.loadConfig(context);
        NvWriter request = new NvWriter();
        request.addUint8("cmd", ControlCodes.CMD_VERIFY);
        request.addUint8("verify", stop ? ControlCodes.VERIFY_STOP
                : repair ? ControlCodes.VERIFY_REPAIR : ControlCodes.VERIFY_START);
        ResourceNames.add(request, names);
        NvMessage reply = ControlClient.exchange(config.controlAddress(), request);
        int result = 0;
        for (int i = 0; ; i++) {
            String name = reply.getString("resource" + i);
            if (name == null) {
                break;
            }
            context.log().setResource(name);
            int error = reply.getInt16("error" + i);
            if (error == ControlCodes.EHAST_NOENTRY) {
                context.log().error("Unknown resource " + name + ".");
                result = result == 0 ? error : result;
            } else if (error != 0) {
                String why = reply.getString("verifyerr" + i);
                context.log().error("Unable to " + (stop ? "stop" : "start") + " verify: "
                        + (why == null ? "error " + error + " from hastd" : why) + ".");
                result = result == 0 ? SysExits.EX_UNAVAILABLE : result;
            } else {
                context.log().debug(1, stop ? "Verify stopped." : "Verify started.");
            }
        }
        context.log().setResource(null);
        return result;
    }
}
