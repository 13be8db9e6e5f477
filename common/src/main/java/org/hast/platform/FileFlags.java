package org.hast.platform;

/** {@code open(2)} and {@code flock(2)} flags; O_DIRECT, O_DSYNC and O_CLOEXEC differ. */
public record FileFlags(int rdonly, int rdwr, int nonblock, int cloexec, int direct, int dsync, int lockEx,
        int lockNb, int lockUn) {
}
