package org.hast.daemon.log;

/** Where daemonised log text goes: libc's syslog(3) in the daemon, a recorder in tests. */
interface SyslogSink {
    /** Connects to the log socket ({@code openlog}); called again on every reconfiguration. */
    void open();

    /** Sends one already formatted line at {@code priority} (a {@code LOG_*} level). */
    void send(int priority, String text);

    /** Disconnects ({@code closelog}); the next {@link #open} reconnects. */
    void close();
}
