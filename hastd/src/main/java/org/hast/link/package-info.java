/**
 * The replication link's frames over Netty, shared by the main process and the workers:
 * {@link org.hast.link.HastFrameDecoder} and {@link org.hast.link.HastFrameEncoder} turn a TCP
 * stream into {@link org.hast.link.HastFrame}s and {@link org.hast.link.OutgoingFrame}s into
 * bytes (spec §4.1), with bounded, zero-copy payloads; the message meanings are in
 * {@code org.hast.proto}. {@link org.hast.link.AdoptedSocket} wraps a socket handed over by
 * descriptor.
 */
package org.hast.link;
