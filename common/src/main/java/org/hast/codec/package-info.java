/**
 * Payload codecs of spec §10: CRC-32 and SHA-256 checksums, hole and LZF compression, and the
 * send/receive stages that apply them as hastd does ({@link org.hast.codec.PayloadCodec}).
 * Pure functions over caller-provided {@link java.nio.ByteBuffer}s (heap or direct); no
 * threads, no sockets, no nv dependency.
 */
package org.hast.codec;
