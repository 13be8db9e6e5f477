package org.hast.ctl;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.jr.ob.JSON;

import org.hast.conf.HastConfig;
import org.hast.control.ControlCodes;
import org.hast.nv.NvFormatException;
import org.hast.nv.NvMessage;
import org.hast.nv.NvType;
import org.hast.nv.NvWriter;
import org.hast.util.SysExits;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hastctl events [--json] [all|name...]}: first the current state of each resource
 * ({@code exists}), then one line per change as hastd sees it, until interrupted
 * (docs/events.md). Ends with EX_UNAVAILABLE when hastd closes the stream, EX_TEMPFAIL when
 * hastd dropped us for not reading fast enough.
 */
@Command(name = "events")
final class EventsCommand extends CtlCommand {
    /** An event is a few hundred bytes. */
    private static final int MAX_EVENT_BYTES = 64 << 10;
    private static final Duration REPLY_TIMEOUT = Duration.ofSeconds(10);
    private static final JSON WRITER = JSON.std.with(JSON.Feature.WRITE_NULL_PROPERTIES);

    @Parameters(paramLabel = "name")
    List<String> names = new ArrayList<>();

    @Option(names = "--json", description = "One JSON object per line instead of text.")
    boolean json;

    @Override
    int run(CtlContext context) throws CtlException {
        HastConfig config = common.loadConfig(context);
        NvWriter request = new NvWriter();
        request.addUint8("cmd", ControlCodes.CMD_EVENTS);
        ResourceNames.add(request, names);
        try (SocketChannel stream = ControlClient.openStream(config.controlAddress(), request, REPLY_TIMEOUT)) {
            InputStream in = Channels.newInputStream(stream);
            while (true) {
                NvMessage event;
                try {
                    event = org.hast.proto.Frames.readFrom(in, MAX_EVENT_BYTES).nv();
                } catch (EOFException e) {
                    throw new CtlException(SysExits.EX_UNAVAILABLE, "hastd closed the events stream.");
                } catch (IOException | NvFormatException e) {
                    throw new CtlException(SysExits.EX_UNAVAILABLE, "Unable to receive events from hastd: "
                            + e.getMessage());
                }
                context.out().println(json ? json(event) : text(event));
                context.out().flush();
                if ("dropped".equals(event.getString("event"))) {
                    throw new CtlException(SysExits.EX_TEMPFAIL, "hastd dropped this follower: it fell "
                            + event.getUint64("behind") + " events behind.");
                }
            }
        } catch (IOException e) {
            throw new CtlException(SysExits.EX_OSERR, "Unable to close control socket: " + e.getMessage());
        }
    }

    /** {@code <time> <event> [<resource>] name:value ...} */
    static String text(NvMessage event) {
        StringBuilder line = new StringBuilder(128);
        line.append(Instant.ofEpochMilli(event.getUint64("time"))).append(' ').append(event.getString("event"));
        String resource = event.getString("resource");
        if (resource != null) {
            line.append(' ').append(resource);
        }
        for (int i = 0; i < event.size(); i++) {
            String name = event.nameAt(i);
            if (name.equals("time") || name.equals("event") || name.equals("resource")) {
                continue;
            }
            line.append(' ').append(name).append(':').append(value(event, i));
        }
        return line.toString();
    }

    /** One JSON object: {@code time} (ISO-8601), {@code event}, {@code resource}, then the fields. */
    static String json(NvMessage event) {
        Map<String, Object> object = new LinkedHashMap<>();
        object.put("time", Instant.ofEpochMilli(event.getUint64("time")).toString());
        object.put("event", event.getString("event"));
        object.put("resource", event.getString("resource"));
        for (int i = 0; i < event.size(); i++) {
            String name = event.nameAt(i);
            if (!object.containsKey(name)) {
                object.put(name, value(event, i));
            }
        }
        try {
            return WRITER.asString(object);
        } catch (IOException e) {
            throw new IllegalStateException("JSON of plain maps cannot fail", e);
        }
    }

    private static Object value(NvMessage event, int i) {
        NvType type = event.typeAt(i);
        if (type.isString()) {
            return event.stringAt(i);
        }
        if (type.isScalar()) {
            return event.longAt(i);
        }
        return type.displayName();
    }
}
