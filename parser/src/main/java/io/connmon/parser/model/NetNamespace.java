package io.connmon.parser.model;

import io.connmon.parser.counters.NetStats;

/**
 * One network namespace a collection read, and what is known of it.
 *
 * <p>Its id is the inode of {@code /proc/PID/ns/net}, as {@code lsns -t net}, {@code ip netns identify} and
 * {@code stat -L /var/run/netns/NAME} show it. Reading that link needs ptrace access to PID (CAP_SYS_PTRACE for
 * another user's process); without it the inode is unknowable ({@code -1}) and the namespace goes by
 * {@code pid:PID}, its representative process (see {@link #id()}). The inode of {@code /proc/PID/net/tcp}, which
 * anyone can stat, tells namespaces apart ({@link #key()}) but is a proc inode, not the namespace's.
 *
 * @param inode the namespace's inode; -1 when it cannot be known
 * @param key the inode of {@code /proc/PID/net/tcp}: distinct per namespace, stable while the namespace lives
 * @param name its {@code ip netns} name ({@code /var/run/netns/NAME}), or {@code null}
 * @param pid a process living in it whose {@code /proc/PID/net} was read; -1 when none
 * @param own whether it is connmon's own namespace
 * @param container what the representative process's cgroup names
 * @param reader how its sockets were read: {@code netlink}, {@code procfs} (or the table's source name)
 * @param readerReason one line: why that reader
 * @param inodeNote why the inode is unknown, or {@code null}
 * @param stats its counters and ephemeral port range ({@link NetStats#EMPTY} when not read)
 * @param portRangeNote why {@code stats.ephemeralPorts()} is unknown, or {@code null}
 * @param first the index of its first socket in the table
 * @param count how many sockets it has in the table
 * @param error why its tables could not be read in this collection (it is listed, with no sockets), or
 *     {@code null}
 */
public record NetNamespace(long inode, long key, String name, int pid, boolean own, ContainerRef container,
        String reader, String readerReason, String inodeNote, NetStats stats, String portRangeNote, int first,
        int count, String error) {

    public NetNamespace {
        container = container == null ? ContainerRef.NONE : container;
        stats = stats == null ? NetStats.EMPTY : stats;
    }

    /** Its id for labels and filters: the inode in decimal, or {@code pid:PID} when the inode is unknown. */
    public String id() {
        return inode >= 0 ? Long.toString(inode) : "pid:" + pid;
    }

    /** This namespace with its sockets at {@code first}, {@code count} of them. */
    public NetNamespace at(int firstSocket, int socketCount) {
        return new NetNamespace(inode, key, name, pid, own, container, reader, readerReason, inodeNote, stats,
                portRangeNote, firstSocket, socketCount, error);
    }

    /**
     * Whether {@code text} names this namespace: its inode, its {@code ip netns} name, its id
     * ({@code pid:PID}) or its representative pid.
     */
    public boolean matches(String text) {
        if (text == null || text.isEmpty()) {
            return false;
        }
        if (text.equals(name) || text.equals(id()) || text.equals(Long.toString(inode))) {
            return true;
        }
        return pid >= 0 && text.equals(Integer.toString(pid));
    }
}
