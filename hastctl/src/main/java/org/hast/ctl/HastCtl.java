package org.hast.ctl;

public final class HastCtl {
    public static void main(String[] args) {
        System.exit(0);
    }
}
