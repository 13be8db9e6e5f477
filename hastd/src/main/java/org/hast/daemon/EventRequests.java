package org.hast.daemon;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.LinkedHashSet;
import java.util.Set;

import org.hast.control.ControlCodes;
import org.hast.daemon.channel.NvChannel;
import org.hast.daemon.control.ControlServer;
import org.hast.daemon.events.EventHub;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code hastctl events} (docs/events.md): the request names resources as status does; the
 * reply ({@code error} 0, or the reason for refusing) is followed by the event frames.
 */
final class EventRequests implements ControlServer.Streams {
    private static final Logger LOG = LoggerFactory.getLogger(EventRequests.class);

    private final Resources resources;
    private final EventHub hub;

    EventRequests(Resources resources, EventHub hub) {
        this.resources = resources;
        this.hub = hub;
    }

    @Override
    public boolean take(NvMessage request, SocketChannel client) {
        if (request.getUint8("cmd") != ControlCodes.CMD_EVENTS) {
            return false;
        }
        Set<String> names = new LinkedHashSet<>();
        int error = ControlCodes.EHAST_OK;
        for (int i = 0; ; i++) {
            String name = request.getString("resource" + i);
            if (name == null) {
                break;
            }
            if (name.equals("all")) {
                names.clear();
                break;
            }
            if (resources.find(name).isEmpty()) {
                error = ControlCodes.EHAST_NOENTRY;
            }
            names.add(name);
        }
        if (error == ControlCodes.EHAST_OK && hub.full()) {
            LOG.warn("Events request refused: too many followers.");
            error = ControlCodes.EHAST_NOMEMORY;
        }
        try {
            new NvChannel(client, ControlServer.MAX_REQUEST_BYTES).send(new NvWriter().addInt16("error", error));
        } catch (IOException e) {
            LOG.debug("Unable to answer an events request: {}", e.getMessage());
            close(client);
            return true;
        }
        if (error != ControlCodes.EHAST_OK || !hub.follow(client, names)) {
            close(client);
        }
        return true;
    }

    private static void close(SocketChannel client) {
        try {
            client.close();
        } catch (IOException e) {
            // Done with it either way.
        }
    }
}
