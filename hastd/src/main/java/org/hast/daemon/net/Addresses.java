package org.hast.daemon.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

import org.hast.conf.AddressException;
import org.hast.conf.HastAddress;

/** Peer addresses as the reference prints and compares them (spec §1.6, §3.5). */
public final class Addresses {
    private Addresses() {
    }

    /** {@code tcp4://1.2.3.4:5} / {@code tcp6://[::1]:5}. */
    public static String format(InetSocketAddress address) {
        InetAddress ip = normalise(address.getAddress());
        if (ip instanceof Inet6Address) {
            return "tcp6://[" + ip.getHostAddress() + "]:" + address.getPort();
        }
        return "tcp4://" + ip.getHostAddress() + ":" + address.getPort();
    }

    /**
     * Whether {@code peer} is the configured {@code remote}: the address is resolved again and
     * compared by family and bytes, port ignored. IPv4-mapped IPv6 peers count as IPv4 (a Linux
     * dual-stack listener sees them so; FreeBSD listeners are v6-only).
     */
    public static boolean matches(String remote, InetSocketAddress peer) {
        if (remote == null || remote.equals("none")) {
            return false;
        }
        try {
            HastAddress parsed = HastAddress.parse(remote, HastAddress.DEFAULT_PORT);
            if (!parsed.isTcp()) {
                return false;
            }
            InetAddress configured = normalise(parsed.toSocketAddress().getAddress());
            InetAddress actual = normalise(peer.getAddress());
            return configured.getClass() == actual.getClass()
                    && Arrays.equals(configured.getAddress(), actual.getAddress());
        } catch (AddressException e) {
            return false;
        }
    }

    static InetAddress normalise(InetAddress address) {
        byte[] bytes = address.getAddress();
        if (address instanceof Inet6Address && bytes.length == 16) {
            boolean mapped = bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff;
            for (int i = 0; i < 10 && mapped; i++) {
                mapped = bytes[i] == 0;
            }
            if (mapped) {
                try {
                    return Inet4Address.getByAddress(Arrays.copyOfRange(bytes, 12, 16));
                } catch (UnknownHostException e) {
                    return address;
                }
            }
        }
        return address;
    }
}
