/**
 * The replication link over Netty: {@link org.hast.daemon.net.HastFrameDecoder} and
 * {@link org.hast.daemon.net.HastFrameEncoder} turn a TCP stream into
 * {@link org.hast.daemon.net.HastFrame}s and {@link org.hast.daemon.net.OutgoingFrame}s into
 * bytes (spec §4.1), with bounded, zero-copy payloads; the message meanings are in
 * {@code org.hast.proto}. Also the listen sockets ({@link org.hast.daemon.net.ReplicationListener}).
 */
package org.hast.daemon.net;
