package io.connmon.parser.attribution;

import io.connmon.parser.model.LongIntMap;
import io.connmon.parser.model.SocketRecord;

import java.util.List;

/**
 * Which process owns each socket of one {@link SocketTable}, as found by {@link SocketOwners}.
 *
 * <pre>{@code
 * Attribution a = owners.resolve(table);
 * SocketOwner o = a.ownerOf(record);   // null: no owner known (TIME_WAIT, another user's process, not yet scanned)
 * }</pre>
 */
public final class Attribution {

    /** Attribution switched off: nobody owns anything. */
    public static final Attribution NONE = new Attribution(new LongIntMap(1), List.of(), 0, 0, false, false, 0);

    private final LongIntMap ownerIndex;
    private final List<SocketOwner> owners;
    private final long attributed;
    private final long unattributed;
    private final boolean complete;
    private final boolean enabled;
    private final int deniedProcesses;

    Attribution(LongIntMap ownerIndex, List<SocketOwner> owners, long attributed, long unattributed,
            boolean complete, boolean enabled, int deniedProcesses) {
        this.deniedProcesses = deniedProcesses;
        this.ownerIndex = ownerIndex;
        this.owners = List.copyOf(owners);
        this.attributed = attributed;
        this.unattributed = unattributed;
        this.complete = complete;
        this.enabled = enabled;
    }

    /** The owner of the socket, or {@code null} when it is not known. */
    public SocketOwner ownerOf(SocketRecord r) {
        if (r.inode() == 0) {
            return null;
        }
        int i = ownerIndex.get(r.inode(), -1);
        return i < 0 ? null : owners.get(i);
    }

    /** Whether attribution was asked for at all. */
    public boolean enabled() {
        return enabled;
    }

    /** Sockets with an inode whose owner was found. */
    public long attributed() {
        return attributed;
    }

    /**
     * Sockets with an inode whose owner was not found: another user's process without the privilege to look,
     * or a process not scanned yet within this collection's budget. Sockets without an inode (TIME_WAIT) have no
     * owner to find and are not counted.
     */
    public long unattributed() {
        return unattributed;
    }

    /**
     * Whether every socket's owner is known up to date, or known to be none: false while the work budget left
     * processes or new sockets to look at, and while sockets stay unattributed with processes that could not be
     * read for want of privilege (their owners may be among those).
     */
    public boolean complete() {
        return complete;
    }

    /**
     * Processes whose descriptors could not be read for want of privilege (CAP_SYS_PTRACE and
     * CAP_DAC_READ_SEARCH): their sockets, if any, are among the {@link #unattributed()} ones.
     */
    public int deniedProcesses() {
        return deniedProcesses;
    }
}
