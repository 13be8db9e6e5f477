package org.hast.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.ToLongFunction;

import org.hast.platform.freebsd.FreeBsdPlatform;
import org.hast.platform.host.HostPlatform;
import org.hast.platform.linux.LinuxPlatform;
import org.hast.proto.WireErrno;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Every number a {@link Platform} hands out against the compiler-made tables of
 * {@code shared/vectors/freebsd-abi/}: FreeBSD's column for {@link FreeBsdPlatform}, Linux's
 * for {@link LinuxPlatform}, on both amd64 and arm64.
 */
class PlatformAbiTest {

    /** Table name → the value the platform uses. */
    private static Map<String, Long> facts(Platform p) {
        Map<String, Long> f = new LinkedHashMap<>();
        SignalNumbers s = p.signals();
        f.put("SIGHUP", (long) s.hup());
        f.put("SIGINT", (long) s.intr());
        f.put("SIGQUIT", (long) s.quit());
        f.put("SIGKILL", (long) s.kill());
        f.put("SIGPIPE", (long) s.pipe());
        f.put("SIGTERM", (long) s.term());
        f.put("SIGCHLD", (long) s.chld());
        f.put("SIGUSR1", (long) s.usr1());
        f.put("SIGUSR2", (long) s.usr2());
        SocketConstants k = p.sockets();
        f.put("AF_UNIX", (long) k.afUnix());
        f.put("SOCK_STREAM", (long) k.sockStream());
        f.put("SOCK_SEQPACKET", (long) k.sockSeqpacket());
        f.put("SOCK_CLOEXEC", (long) k.sockCloexec());
        f.put("SOCK_NONBLOCK", (long) k.sockNonblock());
        f.put("SOL_SOCKET", (long) k.solSocket());
        f.put("SO_TYPE", (long) k.soType());
        f.put("SO_DOMAIN", (long) k.soDomain());
        f.put("SCM_RIGHTS", (long) k.scmRights());
        f.put("MSG_TRUNC", (long) k.msgTrunc());
        f.put("MSG_CTRUNC", (long) k.msgCtrunc());
        f.put("MSG_DONTWAIT", (long) k.msgDontwait());
        f.put("MSG_NOSIGNAL", (long) k.msgNosignal());
        f.put("MSG_CMSG_CLOEXEC", (long) k.msgCmsgCloexec());
        f.put("SHUT_RDWR", (long) k.shutRdwr());
        f.put("membersize:struct sockaddr_un.sun_path", (long) k.sunPathBytes());
        f.put("AF_INET", (long) k.afInet());
        f.put("AF_INET6", (long) k.afInet6());
        f.put("IPPROTO_IPV6", (long) k.ipprotoIpv6());
        f.put("IPV6_V6ONLY", (long) k.ipv6V6only());
        f.put("membersize:struct sockaddr_un.sun_family", k.sunLenByte() ? 1L : 2L);
        MessageLayout m = p.messages();
        f.put("sizeof:struct msghdr", (long) m.msghdrSize());
        f.put("offsetof:struct msghdr.msg_name", (long) m.msgName());
        f.put("offsetof:struct msghdr.msg_namelen", (long) m.msgNamelen());
        f.put("offsetof:struct msghdr.msg_iov", (long) m.msgIov());
        f.put("offsetof:struct msghdr.msg_iovlen", (long) m.msgIovlen());
        f.put("membersize:struct msghdr.msg_iovlen", (long) m.controlLenBytes());
        f.put("offsetof:struct msghdr.msg_control", (long) m.msgControl());
        f.put("offsetof:struct msghdr.msg_controllen", (long) m.msgControllen());
        f.put("membersize:struct msghdr.msg_controllen", (long) m.controlLenBytes());
        f.put("offsetof:struct msghdr.msg_flags", (long) m.msgFlags());
        f.put("sizeof:struct iovec", (long) m.iovecSize());
        f.put("offsetof:struct iovec.iov_base", (long) m.iovBase());
        f.put("offsetof:struct iovec.iov_len", (long) m.iovLen());
        f.put("sizeof:struct cmsghdr", (long) m.cmsghdrSize());
        f.put("offsetof:struct cmsghdr.cmsg_len", (long) m.cmsgLen());
        f.put("membersize:struct cmsghdr.cmsg_len", (long) m.controlLenBytes());
        f.put("offsetof:struct cmsghdr.cmsg_level", (long) m.cmsgLevel());
        f.put("offsetof:struct cmsghdr.cmsg_type", (long) m.cmsgType());
        f.put("CMSG_DATA-offset", (long) m.cmsgData());
        f.put("CMSG_LEN(0)", (long) m.cmsgLength(0));
        f.put("CMSG_SPACE(0)", (long) m.cmsgSpace(0));
        f.put("CMSG_LEN(sizeof(int))", (long) m.cmsgLength(4));
        f.put("CMSG_SPACE(sizeof(int))", (long) m.cmsgSpace(4));
        f.put("CMSG_LEN(2*sizeof(int))", (long) m.cmsgLength(8));
        f.put("CMSG_SPACE(2*sizeof(int))", (long) m.cmsgSpace(8));
        FileFlags o = p.files();
        f.put("O_RDONLY", (long) o.rdonly());
        f.put("O_RDWR", (long) o.rdwr());
        f.put("O_NONBLOCK", (long) o.nonblock());
        f.put("O_CLOEXEC", (long) o.cloexec());
        f.put("O_DIRECT", (long) o.direct());
        f.put("O_DSYNC", (long) o.dsync());
        f.put("LOCK_EX", (long) o.lockEx());
        f.put("LOCK_NB", (long) o.lockNb());
        f.put("LOCK_UN", (long) o.lockUn());
        return f;
    }

    private static void assertFacts(Platform platform, AbiTable table, Map<String, Long> facts,
            ToLongFunction<String> column) {
        facts.forEach((name, value) -> assertEquals(column.applyAsLong(name), value,
                platform.name() + " " + name + " against " + table.file()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"amd64", "arm64"})
    void freebsdNumbersAreTheCompilers(String arch) {
        AbiTable table = AbiTable.load(arch);
        FreeBsdPlatform freebsd = new FreeBsdPlatform();
        Map<String, Long> facts = facts(freebsd);
        DiskIoctls d = freebsd.disks();
        facts.put("DIOCGMEDIASIZE", d.mediaSize());
        facts.put("DIOCGSECTORSIZE", d.sectorSize());
        facts.put("DIOCGFLUSH", d.flush());
        facts.put("DIOCGDELETE", d.delete());
        PeerCredentialLayout c = freebsd.peerCredentials();
        facts.put("SOL_LOCAL", (long) c.level());
        facts.put("LOCAL_PEERCRED", (long) c.option());
        facts.put("sizeof:struct xucred", (long) c.size());
        facts.put("offsetof:struct xucred.cr_version", (long) c.versionOffset());
        facts.put("offsetof:struct xucred.cr_uid", (long) c.uidOffset());
        facts.put("offsetof:struct xucred.cr_pid", (long) c.pidOffset());
        assertFacts(freebsd, table, facts, table::freebsd);
        assertEquals(table.freebsd("argsize:DIOCGDELETE"), 2 * Long.BYTES, "DIOCGDELETE takes off_t[2]");
    }

    @ParameterizedTest
    @ValueSource(strings = {"amd64", "arm64"})
    void linuxNumbersAreTheCompilers(String arch) {
        AbiTable table = AbiTable.load(arch);
        LinuxPlatform linux = LinuxPlatform.forArch(arch.equals("arm64") ? "aarch64" : "amd64");
        Map<String, Long> facts = facts(linux);
        DiskIoctls d = linux.disks();
        facts.put("BLKGETSIZE64", d.mediaSize());
        facts.put("BLKSSZGET", d.sectorSize());
        facts.put("BLKDISCARD", d.delete());
        PeerCredentialLayout c = linux.peerCredentials();
        facts.put("SO_PEERCRED", (long) c.option());
        facts.put("sizeof:struct ucred", (long) c.size());
        facts.put("offsetof:struct ucred.uid", (long) c.uidOffset());
        facts.put("offsetof:struct ucred.pid", (long) c.pidOffset());
        assertFacts(linux, table, facts, table::linux);
    }

    @Test
    void errnoCrossesBetweenTheNumberings() {
        AbiTable table = AbiTable.load("amd64");
        FreeBsdPlatform freebsd = new FreeBsdPlatform();
        for (String name : new String[] {"ECANCELED", "ENOMEM", "EEXIST", "ENXIO", "EOPNOTSUPP", "ETIMEDOUT",
            "EAGAIN", "EIO", "ENOSPC"}) {
            int linuxErrno = (int) table.linux(name);
            assertEquals(table.freebsd(name), freebsd.toNativeErrno(linuxErrno), name);
            assertEquals(linuxErrno, freebsd.fromNativeErrno((int) table.freebsd(name)), name);
        }
        assertEquals(WireErrno.EIO, freebsd.toNativeErrno(61 /* Linux ENODATA: none on FreeBSD */));
        LinuxPlatform linux = LinuxPlatform.forArch("amd64");
        assertEquals(125, linux.toNativeErrno(125));
    }

    @Test
    void chosenFromOsName() {
        assertEquals("linux", HostPlatform.forOsName("Linux").name());
        assertEquals("freebsd", HostPlatform.forOsName("FreeBSD").name());
        assertThrows(UnsupportedOperationException.class, () -> HostPlatform.forOsName("Windows 11"));
        assertEquals("linux", HostPlatform.current().name(), "this test runs on Linux");
    }

    @Test
    void linuxHasNoFlushIoctlAndBlockDisksWhileFreeBsdDisksAreCharacterDevices() {
        assertEquals(DiskIoctls.NONE, LinuxPlatform.forArch("amd64").disks().flush());
        assertTrue(!LinuxPlatform.forArch("amd64").disks().diskIsCharDev());
        assertTrue(new FreeBsdPlatform().disks().diskIsCharDev());
    }
}
