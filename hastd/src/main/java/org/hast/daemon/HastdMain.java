package org.hast.daemon;

public final class HastdMain {
    public static void main(String[] args) {
        System.exit(0);
    }
}
