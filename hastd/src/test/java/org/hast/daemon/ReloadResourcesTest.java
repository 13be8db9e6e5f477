package org.hast.daemon;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.hast.codec.ChecksumAlgorithm;
import org.hast.codec.Compression;
import org.hast.conf.DeviceMode;
import org.hast.conf.ExportTls;
import org.hast.conf.IntegrityConfig;
import org.hast.conf.LinkSecurity;
import org.hast.conf.LocalIoMode;
import org.hast.conf.ReplicationMode;
import org.hast.conf.ResourceConfig;
import org.hast.proto.Role;
import org.junit.jupiter.api.Test;

/** SIGHUP (spec §1.9) and the integrity settings (docs/integrity.md): restart or hot reload. */
class ReloadResourcesTest {
    private static ResourceConfig with(IntegrityConfig integrity) {
        return new ResourceConfig("r0", "r0", "/dev/x", "tcp://10.0.0.2", "", ReplicationMode.MEMSYNC,
                ChecksumAlgorithm.NONE, Compression.HOLE, 20, "", true, DeviceMode.NONE, "", ExportTls.NONE,
                LinkSecurity.NONE, integrity, LocalIoMode.BUFFERED);
    }

    @Test
    void aPrimaryTakesEveryIntegrityChangeLive() {
        ResourceConfig off = with(IntegrityConfig.DEFAULTS);
        for (IntegrityConfig changed : new IntegrityConfig[] {new IntegrityConfig(true, false, 0, 0),
            new IntegrityConfig(false, true, 0, 0), new IntegrityConfig(false, false, 16L << 20, 0),
            new IntegrityConfig(false, false, 0, 20)}) {
            assertFalse(ReloadResources.needsRestart(Role.PRIMARY, off, with(changed)), changed.toString());
        }
    }

    @Test
    void aSecondaryRestartsOnlyWhenItsOfferChanges() {
        ResourceConfig off = with(IntegrityConfig.DEFAULTS);
        assertTrue(ReloadResources.needsRestart(Role.SECONDARY, off, with(new IntegrityConfig(true, false, 0, 0))));
        assertTrue(ReloadResources.needsRestart(Role.SECONDARY, with(new IntegrityConfig(false, true, 0, 0)), off));
        assertFalse(ReloadResources.needsRestart(Role.SECONDARY, off, with(new IntegrityConfig(false, false, 1L << 30, 0))),
                "syncrate means nothing to a secondary");
        assertFalse(ReloadResources.needsRestart(Role.SECONDARY, with(new IntegrityConfig(true, false, 0, 0)),
                with(new IntegrityConfig(true, true, 0, 5))), "it offered the hashes already");
    }
}
