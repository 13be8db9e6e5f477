package org.hast.ctl;

import java.io.PrintStream;
import java.util.Map;

/** What a command needs from its surroundings; tests substitute the streams and environment. */
record CtlContext(String program, PrintStream out, PrintStream err, Map<String, String> env, CtlLog log) {
    static CtlContext of(String program, PrintStream out, PrintStream err, Map<String, String> env) {
        return new CtlContext(program, out, err, env, new CtlLog(out, err));
    }
}
