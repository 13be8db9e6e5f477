package org.hast.daemon.net;

import org.hast.transport.Transport;
import org.hast.transport.TransportChoice;

/**
 * {@link SocketHandoffTest}'s cases on the NIO transport, the one hastd uses on FreeBSD (forced
 * on Linux here): the main process's channel is a JDK socket channel whose descriptor is read
 * through {@code sun.nio.ch}, the worker's a JDK channel made over the received descriptor.
 * The surefire JVM carries {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED} (hastd/pom.xml),
 * as hastd's launchers do.
 */
class NioSocketHandoffTest extends SocketHandoffTest {
    @Override
    Transport transport() {
        return TransportChoice.of("nio");
    }
}
