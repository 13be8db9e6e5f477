/**
 * The main process's side of the replication link: the listen sockets
 * ({@link org.hast.daemon.net.ReplicationServer}), the first handshake header that routes a
 * connection to its resource, the {@code secret} responder, and the hand-off of the socket to the
 * resource's worker. The frames themselves are in {@code org.hast.link}.
 */
package org.hast.daemon.net;
