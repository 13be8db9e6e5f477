/**
 * hastd's logging backend (spec §3.10): the daemon logs through slf4j, and this package
 * renders every event the way the reference's pjdlog does, either as {@code [LEVEL] prefix
 * message} lines on stdout/stderr (foreground) or through libc's own {@code syslog(3)}
 * (daemonised). {@link org.hast.daemon.log.HastLogging} is the only entry point; logback is
 * configured in code by {@link org.hast.daemon.log.HastLogConfigurator}, so no XML is scanned
 * at start and the very first log call already uses our format.
 */
package org.hast.daemon.log;
