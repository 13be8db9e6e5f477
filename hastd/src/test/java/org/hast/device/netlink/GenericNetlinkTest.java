package org.hast.device.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Real exchanges with this machine's kernel: the generic-netlink controller is always there,
 * whatever modules are loaded. The controller answers with its reply and then the
 * acknowledgement in two datagrams, so the reply must survive the second receive.
 */
class GenericNetlinkTest {

    @Test
    void theControllerResolvesItselfToItsFixedId() throws Exception {
        try (GenericNetlink socket = GenericNetlink.open()) {
            assertEquals(GenericNetlink.GENL_ID_CTRL, socket.familyId("nlctrl"));
            // The same socket serves the next request too.
            assertEquals(GenericNetlink.GENL_ID_CTRL, socket.familyId("nlctrl"));
        }
    }

    @Test
    void anUnknownFamilyIsENOENT() throws Exception {
        try (GenericNetlink socket = GenericNetlink.open()) {
            NetlinkException e = assertThrows(NetlinkException.class, () -> socket.familyId("hast-no-such"));
            assertEquals(2, e.errno());
            assertTrue(e.getMessage().contains("hast-no-such"), e.getMessage());
        }
    }
}
