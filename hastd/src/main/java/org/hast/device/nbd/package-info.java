/**
 * The NBD export ({@code export} in hast.conf, decisions §3–§4): a fixed-newstyle NBD server
 * on Netty serving a {@link org.hast.block.BlockBackend}.
 *
 * <p>{@link org.hast.device.nbd.NbdServer} listens on a Unix socket or loopback TCP, or on any
 * address with TLS and client certificates required ({@link org.hast.device.nbd.NbdTls});
 * {@link org.hast.device.nbd.NbdHandshakeHandler} negotiates the options and then installs
 * the transmission phase, which {@link org.hast.device.nbd.NbdTransmission} can also install
 * on its own (the kernel NBD bridge does its handshake through ioctls).
 * {@link org.hast.device.nbd.NbdRequestDecoder} frames requests and admits their payloads
 * into the worker's {@link org.hast.block.InflightBudget} before reading them, and
 * {@link org.hast.device.nbd.NbdTransmissionHandler} runs them against the backend, many in
 * flight, replying out of order. Protocol facts: shared/spec/nbd.md and the
 * NBD project's doc/proto.md.
 */
package org.hast.device.nbd;
