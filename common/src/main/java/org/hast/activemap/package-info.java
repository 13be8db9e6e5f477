/**
 * Dirty-extent tracking (spec §7): the {@link org.hast.activemap.ActiveMap} with its on-disk
 * bitmap and sync cursor, and the regular/sync {@link org.hast.activemap.RangeLocks}. Pure
 * data structures: callers do the I/O, the locking and the waiting.
 */
package org.hast.activemap;
