package org.hast.daemon;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.hast.conf.ResourceConfig;
import org.hast.daemon.channel.WorkerProtocol;
import org.hast.proto.Role;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Steps 6–8 of a reload (spec §1.9): resources removed, added, restarted or hot-reloaded.
 */
final class ReloadResources {
    private static final Logger LOG = LoggerFactory.getLogger(ReloadResources.class);

    private final Resources resources;

    ReloadResources(Resources resources) {
        this.resources = resources;
    }

    void apply(List<ResourceConfig> fresh) {
        List<ResourceSlot> order = new ArrayList<>();
        for (ResourceSlot slot : new ArrayList<>(resources.slots())) {
            if (fresh.stream().noneMatch(r -> r.name().equals(slot.name()))) {
                LOG.info("{}Resource removed from the configuration.", slot.tag());
                resources.changeRole(slot, Role.INIT);
            }
        }
        for (ResourceConfig updated : fresh) {
            ResourceSlot slot = resources.find(updated.name()).orElse(null);
            if (slot == null) {
                LOG.info("[{}] Resource added to the configuration.", updated.name());
                order.add(new ResourceSlot(updated));
                continue;
            }
            order.add(slot);
            ResourceConfig old = slot.config;
            if (old.equals(updated)) {
                continue;
            }
            if (needsRestart(slot.role, old, updated)) {
                Role role = slot.role;
                LOG.info("{}Configuration changed, restarting resource.", slot.tag());
                resources.changeRole(slot, Role.INIT);
                slot.config = updated;
                resources.changeRole(slot, role);
            } else {
                slot.config = updated;
                if (slot.worker != null) {
                    slot.worker.request(WorkerProtocol.reloadRequest(updated));
                }
            }
        }
        resources.reorder(order);
    }

    /**
     * Provider name and local path (and our device, export and localio) always need a new worker; the
     * eight network and replication parameters are applied live only to a primary, as are the
     * integrity settings (docs/integrity.md). A secondary is restarted when what it offers the
     * primary changes ({@code integrity}, {@code syncmode checksum}): the primary reconnects and
     * negotiates again; {@code syncrate} means nothing to a secondary.
     */
    static boolean needsRestart(Role role, ResourceConfig old, ResourceConfig updated) {
        boolean identityChanged = !old.providerName().equals(updated.providerName())
                || !old.localPath().equals(updated.localPath())
                || old.device() != updated.device()
                || old.localIo() != updated.localIo()
                || !old.exportAddress().equals(updated.exportAddress())
                || !old.exportTls().equals(updated.exportTls())
                || !old.linkSecurity().equals(updated.linkSecurity());
        if (identityChanged) {
            return true;
        }
        return role != Role.PRIMARY && (!reloadableEqual(old, updated)
                || old.integrity().offersHashes() != updated.integrity().offersHashes());
    }

    private static boolean reloadableEqual(ResourceConfig a, ResourceConfig b) {
        return a.remoteAddress().equals(b.remoteAddress())
                && a.sourceAddress().equals(b.sourceAddress())
                && a.replication() == b.replication()
                && a.checksum() == b.checksum()
                && a.compression() == b.compression()
                && a.timeoutSeconds() == b.timeoutSeconds()
                && Objects.equals(a.exec(), b.exec())
                && a.metaflush() == b.metaflush();
    }
}
