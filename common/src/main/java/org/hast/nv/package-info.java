/**
 * The nv name/value encoding of spec §5, byte for byte: {@link org.hast.nv.NvWriter} builds a
 * blob, {@link org.hast.nv.NvMessage} validates and reads one. Used for every HAST message, the
 * control protocol and the on-disk metadata. Little-endian {@link java.nio.ByteBuffer}s
 * throughout; no threads, no I/O.
 */
package org.hast.nv;
