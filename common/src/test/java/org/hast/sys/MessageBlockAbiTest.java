package org.hast.sys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import org.hast.platform.AbiTable;
import org.hast.platform.Platform;
import org.hast.platform.freebsd.FreeBsdPlatform;
import org.hast.platform.linux.LinuxPlatform;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * The bytes {@link MessageBlock} writes for {@code sendmsg} and {@code bind}, read back at the
 * offsets and widths of the compiler-made tables ({@code shared/vectors/freebsd-abi/}), for
 * FreeBSD and Linux on amd64 and arm64 (both little-endian). The block is never given to the
 * kernel here, so FreeBSD's layout is checked on Linux; nothing but the tables says where a
 * field is.
 */
class MessageBlockAbiTest {
    private static final jnr.ffi.Runtime RUNTIME = jnr.ffi.Runtime.getSystemRuntime();

    private interface Column {
        long value(AbiTable table, String name);
    }

    private static Platform freebsd(String arch) {
        return new FreeBsdPlatform();
    }

    private static Platform linux(String arch) {
        return LinuxPlatform.forArch(arch.equals("arm64") ? "aarch64" : "amd64");
    }

    /** Reads an unsigned little-endian field of {@code width} bytes. */
    private static long field(byte[] bytes, long offset, long width) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int at = (int) offset;
        return switch ((int) width) {
            case 1 -> Byte.toUnsignedLong(buffer.get(at));
            case 2 -> Short.toUnsignedLong(buffer.getShort(at));
            case 4 -> Integer.toUnsignedLong(buffer.getInt(at));
            case 8 -> buffer.getLong(at);
            default -> throw new AssertionError("width " + width);
        };
    }

    private static long at(byte[] bytes, AbiTable table, Column column, String struct, String member, long base) {
        return field(bytes, base + column.value(table, "offsetof:struct " + struct + "." + member),
                column.value(table, "membersize:struct " + struct + "." + member));
    }

    private static void checkSendmsg(Platform platform, AbiTable table, Column column) {
        MessageBlock message = new MessageBlock(platform.messages(), platform.sockets());
        int controlBytes = message.controlBytes(1);
        byte[] data = "hdr".getBytes(StandardCharsets.US_ASCII);
        int dataAt = message.dataAt(controlBytes);
        Pointer block = Memory.allocateDirect(RUNTIME, dataAt + data.length, true);
        block.put(dataAt, data, 0, data.length);
        message.header(block, dataAt, data.length, controlBytes);
        message.rights(block, new int[] {0x12345});
        byte[] bytes = new byte[dataAt + data.length];
        block.get(0, bytes, 0, bytes.length);
        long base = block.address();
        String name = platform.name() + " " + table.file() + " ";

        // struct msghdr
        assertEquals(0, at(bytes, table, column, "msghdr", "msg_name", 0), name + "msg_name");
        long iov = at(bytes, table, column, "msghdr", "msg_iov", 0);
        assertEquals(1, at(bytes, table, column, "msghdr", "msg_iovlen", 0), name + "msg_iovlen");
        long control = at(bytes, table, column, "msghdr", "msg_control", 0);
        assertEquals(column.value(table, "CMSG_SPACE(sizeof(int))"),
                at(bytes, table, column, "msghdr", "msg_controllen", 0), name + "msg_controllen = CMSG_SPACE(4)");
        assertEquals(0, at(bytes, table, column, "msghdr", "msg_flags", 0), name + "msg_flags");
        assertEquals(true, iov - base >= column.value(table, "sizeof:struct msghdr"), name + "iovec after msghdr");

        // struct iovec
        long iovAt = iov - base;
        assertEquals(base + dataAt, at(bytes, table, column, "iovec", "iov_base", iovAt), name + "iov_base");
        assertEquals(data.length, at(bytes, table, column, "iovec", "iov_len", iovAt), name + "iov_len");

        // struct cmsghdr and its payload at CMSG_DATA
        long cmsgAt = control - base;
        assertEquals(0, cmsgAt % column.value(table, "alignof:struct cmsghdr"), name + "cmsghdr alignment");
        assertEquals(column.value(table, "CMSG_LEN(sizeof(int))"),
                at(bytes, table, column, "cmsghdr", "cmsg_len", cmsgAt), name + "cmsg_len = CMSG_LEN(4)");
        assertEquals(column.value(table, "SOL_SOCKET"), at(bytes, table, column, "cmsghdr", "cmsg_level", cmsgAt),
                name + "cmsg_level");
        assertEquals(column.value(table, "SCM_RIGHTS"), at(bytes, table, column, "cmsghdr", "cmsg_type", cmsgAt),
                name + "cmsg_type");
        assertEquals(0x12345, field(bytes, cmsgAt + column.value(table, "CMSG_DATA-offset"), Integer.BYTES),
                name + "descriptor at CMSG_DATA");
        assertEquals(true, dataAt >= cmsgAt + column.value(table, "CMSG_SPACE(sizeof(int))"),
                name + "data after the control buffer");

        // What recvmsg would have left: the same control message is read back as one descriptor.
        assertArrayEquals(new int[] {0x12345}, message.receivedFds(block, controlBytes), name + "received");
    }

    private static void checkUnixAddress(Platform platform, AbiTable table, Column column) {
        MessageBlock message = new MessageBlock(platform.messages(), platform.sockets());
        assertEquals(column.value(table, "sizeof:struct sockaddr_un"), message.unixAddressSize(),
                "sizeof(struct sockaddr_un)");
        byte[] path = "/var/run/hastd/w1.fd".getBytes(StandardCharsets.US_ASCII);
        Pointer address = Memory.allocateDirect(RUNTIME, message.unixAddressSize(), true);
        int length = message.unixAddress(address, path);
        byte[] bytes = new byte[message.unixAddressSize()];
        address.get(0, bytes, 0, bytes.length);
        long pathAt = column.value(table, "offsetof:struct sockaddr_un.sun_path");
        assertEquals(pathAt + path.length + 1, length, "address length");
        assertEquals(column.value(table, "AF_UNIX"), at(bytes, table, column, "sockaddr_un", "sun_family", 0),
                platform.name() + " sun_family");
        byte[] written = new byte[path.length + 1];
        System.arraycopy(bytes, (int) pathAt, written, 0, written.length);
        byte[] expected = new byte[path.length + 1];
        System.arraycopy(path, 0, expected, 0, path.length);
        assertArrayEquals(expected, written, platform.name() + " sun_path, NUL-terminated");
        if (platform.sockets().sunLenByte()) {
            assertEquals(length, at(bytes, table, column, "sockaddr_un", "sun_len", 0), "sun_len");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"amd64", "arm64"})
    void freebsdSendmsgBlockMatchesTheCompilersLayout(String arch) {
        checkSendmsg(freebsd(arch), AbiTable.load(arch), AbiTable::freebsd);
    }

    @ParameterizedTest
    @ValueSource(strings = {"amd64", "arm64"})
    void linuxSendmsgBlockMatchesTheCompilersLayout(String arch) {
        checkSendmsg(linux(arch), AbiTable.load(arch), AbiTable::linux);
    }

    @ParameterizedTest
    @ValueSource(strings = {"amd64", "arm64"})
    void freebsdUnixAddressHasItsLengthByte(String arch) {
        checkUnixAddress(freebsd(arch), AbiTable.load(arch), AbiTable::freebsd);
    }

    @ParameterizedTest
    @ValueSource(strings = {"amd64", "arm64"})
    void linuxUnixAddressHasATwoByteFamily(String arch) {
        checkUnixAddress(linux(arch), AbiTable.load(arch), AbiTable::linux);
    }
}
