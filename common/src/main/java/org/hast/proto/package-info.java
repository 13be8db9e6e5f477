/**
 * The replication link's messages (spec §4): the 5-byte frame header and header + nv framing
 * ({@link org.hast.proto.Frames}), the handshake messages of §4.3, request and reply headers
 * (§4.4, §4.5) with the secondary's request checks, the payload-stage fields, and the
 * secondary's synchronisation decision of §8 ({@link org.hast.proto.SyncDecision}).
 *
 * <p>Each message is an immutable value with {@code toNv()} writing the reference's exact
 * fields and order and a static {@code fromNv(NvMessage)} that reads it as the reference's
 * receiver does, refusing bad input with {@link org.hast.proto.ProtocolException}. No threads,
 * no sockets: the daemon moves the bytes.
 */
package org.hast.proto;
