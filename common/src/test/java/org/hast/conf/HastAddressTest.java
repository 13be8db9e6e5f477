package org.hast.conf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Address syntax of spec §1.6, with A20 (UDS accepted) and A33 (bracketed, no port). */
class HastAddressTest {

    @ParameterizedTest(name = "{0} (default port {1}) -> {2}")
    @CsvSource(delimiter = '|', value = {
        // text                        | default | canonical                      | host            | port
        "uds:///var/run/hastctl        | 8457 | uds:///var/run/hastctl           |                 | 0",
        "UDS:///var/run/hastctl        | 8457 | uds:///var/run/hastctl           |                 | 0",
        "unix:///run/h.sock            | 8457 | uds:///run/h.sock                |                 | 0",
        "UniX:///run/h.sock            | 8457 | uds:///run/h.sock                |                 | 0",
        "/var/run/hastctl              | 8457 | uds:///var/run/hastctl           |                 | 0",
        "uds://relative.sock           | 8457 | uds://relative.sock              |                 | 0",
        "tcp4://0.0.0.0:8457           | 8457 | tcp4://0.0.0.0:8457              | 0.0.0.0         | 8457",
        "tcp4://127.0.0.1              | 8457 | tcp4://127.0.0.1:8457            | 127.0.0.1       | 8457",
        "TCP4://h:1                    | 8457 | tcp4://h:1                       | h               | 1",
        "tcp6://[::]:8457              | 8457 | tcp6://[::]:8457                 | ::              | 8457",
        "tcp6://[::1]                  | 8457 | tcp6://[::1]:8457                | ::1             | 8457",
        "tcp6://::1                    | 8457 | tcp6://[::1]:8457                | ::1             | 8457",
        "tcp6://fe80::1:8457           | 8457 | tcp6://[fe80::1:8457]:8457       | fe80::1:8457    | 8457",
        "tcp6://[fe80::1]:7000         | 8457 | tcp6://[fe80::1]:7000            | fe80::1         | 7000",
        "tcp://10.0.0.2                | 8457 | tcp://10.0.0.2:8457              | 10.0.0.2        | 8457",
        "tcp://10.0.0.2:7000           | 8457 | tcp://10.0.0.2:7000              | 10.0.0.2        | 7000",
        "tcp://hastb.example.org:65535 | 8457 | tcp://hastb.example.org:65535    | hastb.example.org | 65535",
        "tcp://h:08457                 | 8457 | tcp://h:8457                     | h               | 8457",
        "tcp://[10.0.0.1]:80           | 8457 | tcp://10.0.0.1:80                | 10.0.0.1        | 80",
        "10.0.0.2:7000                 | 8457 | tcp://10.0.0.2:7000              | 10.0.0.2        | 7000",
        "hastb                         | 8457 | tcp://hastb:8457                 | hastb           | 8457",
        "[2001:db8::1]:65535           | 8457 | tcp://[2001:db8::1]:65535        | 2001:db8::1     | 65535",
        "::ffff:10.0.0.1               | 8457 | tcp://[::ffff:10.0.0.1]:8457     | ::ffff:10.0.0.1 | 8457",
        "tcp://10.0.0.1                | 0    | tcp://10.0.0.1:0                 | 10.0.0.1        | 0",
        "tcp://10.0.0.1:0              | 0    | tcp://10.0.0.1:0                 | 10.0.0.1        | 0",
        "tcp4://10.0.0.1:4000          | 0    | tcp4://10.0.0.1:4000             | 10.0.0.1        | 4000",
    })
    void valid(String text, int defaultPort, String canonical, String host, int port)
            throws AddressException {
        HastAddress address = HastAddress.parse(text, defaultPort);
        assertEquals(canonical, address.toString());
        assertEquals(text, address.text());
        assertEquals(host, address.host());
        assertEquals(port, address.port());
        assertEquals(address, HastAddress.parse(canonical, defaultPort));
        assertEquals(address.hashCode(), HastAddress.parse(canonical, defaultPort).hashCode());
        if (host == null) {
            assertTrue(address.isUds());
            assertNull(address.family());
            assertEquals(canonical.substring("uds://".length()), address.path());
        } else {
            assertTrue(address.isTcp());
            assertNull(address.path());
        }
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "''                      | empty address",
        "socketpair://           | socketpair:// is internal and cannot be configured: 'socketpair://'",
        "SocketPair://x          | socketpair:// is internal and cannot be configured: 'SocketPair://x'",
        "http://x                | unknown address scheme 'http://' in 'http://x'",
        "uds://                  | empty socket path in 'uds://'",
        "unix://                 | empty socket path in 'unix://'",
        "tcp://h:99999           | invalid port '99999' in 'tcp://h:99999'",
        "tcp://h:65536           | invalid port '65536' in 'tcp://h:65536'",
        "tcp://h:0               | invalid port '0' in 'tcp://h:0'",
        "tcp://h:                | invalid port '' in 'tcp://h:'",
        "tcp://h:80a             | invalid port '80a' in 'tcp://h:80a'",
        "tcp://h:-1              | invalid port '-1' in 'tcp://h:-1'",
        "tcp://h:+80             | invalid port '+80' in 'tcp://h:+80'",
        "tcp://h:0000000000000080000 | invalid port '0000000000000080000' in 'tcp://h:0000000000000080000'",
        "tcp6://[::1]:           | invalid port '' in 'tcp6://[::1]:'",
        "tcp6://[::1]:0          | invalid port '0' in 'tcp6://[::1]:0'",
        "tcp://                  | missing host in 'tcp://'",
        "tcp://:8457             | missing host in 'tcp://:8457'",
        "tcp6://[]:1             | missing host in 'tcp6://[]:1'",
        "tcp6://[::1             | missing ']' in 'tcp6://[::1'",
        "tcp6://[::1]x           | unexpected 'x' after ']' in 'tcp6://[::1]x'",
        "tcp://2001:db8::1/64    | invalid IPv6 address '2001:db8::1/64' in 'tcp://2001:db8::1/64'",
        "tcp://a:b:c             | invalid IPv6 address 'a:b:c' in 'tcp://a:b:c'",
        "tcp://1:2:3:4:5:6:7:8:9 | invalid IPv6 address '1:2:3:4:5:6:7:8:9' in 'tcp://1:2:3:4:5:6:7:8:9'",
        "tcp://:::1              | invalid IPv6 address ':::1' in 'tcp://:::1'",
        "tcp4://[::1]:80         | IPv6 address with tcp4:// in 'tcp4://[::1]:80'",
        "tcp4://::1              | IPv6 address with tcp4:// in 'tcp4://::1'",
        "tcp6://10.0.0.1         | IPv4 address with tcp6:// in 'tcp6://10.0.0.1'",
        "tcp6://[10.0.0.1]:1     | IPv4 address with tcp6:// in 'tcp6://[10.0.0.1]:1'",
        "tcp://h/x               | invalid host name 'h/x' in 'tcp://h/x'",
        "tcp://h@x:1             | invalid host name 'h@x' in 'tcp://h@x:1'",
    })
    void invalid(String text, String message) {
        AddressException e = assertThrows(AddressException.class,
                () -> HastAddress.parse(text, HastAddress.DEFAULT_PORT));
        assertEquals(message, e.getMessage());
    }

    @Test
    void lengthLimits() throws AddressException {
        String path107 = "/" + "p".repeat(106);
        assertEquals(path107, HastAddress.parse(path107, 8457).path());
        assertEquals(path107, HastAddress.parse("uds://" + path107, 8457).path());
        AddressException longPath = assertThrows(AddressException.class,
                () -> HastAddress.parse(path107 + "p", 8457));
        assertTrue(longPath.getMessage().startsWith("socket path too long (at most 107 bytes) in '"));
        // Bytes, not characters.
        assertThrows(AddressException.class,
                () -> HastAddress.parse("/" + "\u00e9".repeat(54), 8457));

        String host255 = "h".repeat(255);
        assertEquals(host255, HastAddress.parse("tcp://" + host255 + ":1", 8457).host());
        AddressException longHost = assertThrows(AddressException.class,
                () -> HastAddress.parse("tcp://" + host255 + "h", 8457));
        assertTrue(longHost.getMessage().startsWith("host name too long (at most 255 characters) in '"));
    }

    @Test
    void ipv6Literals() {
        for (String ok : new String[] {"::", "::1", "1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8", "::ffff:1.2.3.4", "64:ff9b::192.0.2.33", "fe80::1%eth0",
            "FE80::ABCD"}) {
            assertTrue(HastAddress.isIpv6Literal(ok), ok);
        }
        for (String bad : new String[] {"1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::1",
            "1.2.3.4", ":1", "1:", "::1.2.3", "1:2:3:4:5:6:7:1.2.3.4", "fe80::1%", ":::",
            "1:2:3:4:5:6:7:8::"}) {
            assertFalse(HastAddress.isIpv6Literal(bad), bad);
        }
    }

    @Test
    void resolvesLiteralsByFamily() throws Exception {
        assertEquals(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 7000),
                HastAddress.parse("tcp4://127.0.0.1:7000", 8457).toSocketAddress());
        assertEquals(new InetSocketAddress(InetAddress.getByName("::1"), 8457),
                HastAddress.parse("tcp6://[::1]", 8457).toSocketAddress());
        assertEquals(new InetSocketAddress(InetAddress.getByName("10.1.2.3"), 0),
                HastAddress.parse("10.1.2.3", HastAddress.SOURCE_DEFAULT_PORT).toSocketAddress());
        assertEquals(InetAddress.getByName("127.0.0.1"),
                HastAddress.parse("tcp4://localhost", 8457).toSocketAddress().getAddress());
    }

    @Test
    void udsSocketAddress() throws AddressException {
        HastAddress uds = HastAddress.parse("uds:///run/hastctl", 8457);
        assertEquals(Path.of("/run/hastctl"), uds.toUnixSocketAddress().getPath());
        assertEquals(HastAddress.Kind.UDS, uds.kind());
        assertThrows(IllegalStateException.class, uds::toSocketAddress);
        assertThrows(IllegalStateException.class,
                () -> HastAddress.parse("tcp://h", 8457).toUnixSocketAddress());
    }

    @Test
    void families() throws AddressException {
        assertEquals(HastAddress.Family.INET4, HastAddress.parse("tcp4://h", 1).family());
        assertEquals(HastAddress.Family.INET6, HastAddress.parse("tcp6://h", 1).family());
        assertEquals(HastAddress.Family.ANY, HastAddress.parse("tcp://h", 1).family());
        assertEquals(HastAddress.Family.ANY, HastAddress.parse("h", 1).family());
        assertThrows(IllegalArgumentException.class, () -> HastAddress.parse("h", 65536));
    }

    @Test
    void everyAddressInTheSpecExampleParses() throws Exception {
        HastConfig config = ConfigParser.parse(ConfigParserTest.SPEC_EXAMPLE, "f",
                ConfigTesting.HASTA, ConfigTesting.BOTH);
        for (String listen : config.listenAddresses()) {
            HastAddress.parse(listen, HastAddress.DEFAULT_PORT);
        }
        for (ResourceConfig r : config.resources()) {
            HastAddress.parse(r.remoteAddress(), HastAddress.DEFAULT_PORT);
            if (r.hasSource()) {
                assertEquals(0, HastAddress.parse(r.sourceAddress(),
                        HastAddress.SOURCE_DEFAULT_PORT).port());
            }
        }
        assertTrue(HastAddress.parse(config.controlAddress(), HastAddress.DEFAULT_PORT).isUds());
        assertTrue(HastAddress.parse(HastConfig.DEFAULT_LISTEN_TCP6, 8457).isTcp());
    }
}
