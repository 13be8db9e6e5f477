/**
 * How a hastd JVM (the main process or a worker) lives and dies: one policy for a thread that
 * dies of an uncaught throwable ({@link org.hast.daemon.process.FatalThreads}) and signal
 * handlers that also work when the parent left a signal ignored
 * ({@link org.hast.daemon.process.Signals}). Depends on nothing but logging, so every other
 * package may use it without a cycle.
 */
package org.hast.daemon.process;
