/**
 * hast.conf (spec §1): {@link org.hast.conf.ConfigParser} turns the file into a
 * {@link org.hast.conf.HastConfig} as seen by one node, {@link org.hast.conf.NodeIdentity}
 * decides which {@code on} blocks are this node's, and {@link org.hast.conf.HastAddress}
 * gives the address strings their meaning when the daemon opens sockets. Pure code: no
 * threads, no sockets (the listen-default probe aside), every error a one-line
 * {@link org.hast.conf.ConfigException} carrying its sysexits code.
 */
package org.hast.conf;
