/**
 * The provider's on-disk layout (spec §6): the 4096-byte metadata area
 * ({@link org.hast.meta.Metadata}, {@link org.hast.meta.MetadataCodec}) and the size arithmetic
 * of {@code hastctl create} ({@link org.hast.meta.DiskLayout}). Pure: callers do the I/O.
 */
package org.hast.meta;
