package org.hast.platform;

/** The signal numbers hastd sends, catches or reports; SIGCHLD, SIGUSR1/2 differ by system. */
public record SignalNumbers(int hup, int intr, int quit, int kill, int pipe, int term, int chld, int usr1,
        int usr2) {
}
