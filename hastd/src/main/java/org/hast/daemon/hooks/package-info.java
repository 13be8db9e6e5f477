/**
 * Hooks (spec §9): the {@code exec} program run by the main process on every event, and the
 * bookkeeping that reports how each one ended or that it is still running.
 * {@link org.hast.daemon.hooks.HookRunner} starts and tracks them,
 * {@link org.hast.daemon.hooks.HookEvent} names the events and their worker codes.
 */
package org.hast.daemon.hooks;
