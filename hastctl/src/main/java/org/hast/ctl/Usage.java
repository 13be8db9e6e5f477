package org.hast.ctl;

import java.io.PrintStream;

/** The usage text of spec §2.1, plus the lines of our {@code stop} (decisions §3) and {@code verify} (docs/integrity.md). */
final class Usage {
    private Usage() {
    }

    static void print(PrintStream err, String program) {
        err.println("usage: " + program + " create [-d] [-c config] [-e extentsize] [-k keepdirty]");
        err.println("\t\t[-m mediasize] name ...");
        err.println("       " + program + " role [-d] [-c config] <init | primary | secondary> all | name ...");
        err.println("       " + program + " list [-d] [-c config] [all | name ...]");
        err.println("       " + program + " status [-d] [-c config] [all | name ...]");
        err.println("       " + program + " dump [-d] [-c config] [all | name ...]");
        err.println("       " + program + " stop [-d] [-c config]");
        err.println("       " + program + " verify [-d] [-c config] [-r | -s] all | name ...");
    }
}
