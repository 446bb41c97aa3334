/**
 * Connections over time: what the kernel's destroy events tell of connections that closed between two
 * collections, kept in bounded, preallocated structures ({@link io.connmon.parser.events.ClosedConnections}).
 * Pure data: no system call, no thread; the subscription that feeds it lives with the netlink source.
 */
package io.connmon.parser.events;
