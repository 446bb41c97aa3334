package io.connmon.parser.model;

import java.util.List;

/**
 * One collection of the kernel's socket tables by a {@link SocketSource}.
 *
 * @param source the source's name: {@code procfs}, {@code oshi}
 * @param sockets every socket, in the order the source gave them; immutable, stored compactly
 * @param inputs what each input (file or dump) yielded, including skipped lines
 */
public record SocketTable(String source, List<SocketRecord> sockets, List<FileReport> inputs) {

    public SocketTable {
        sockets = CompactSocketList.copyOf(sockets); // columns of primitives: see CompactSocketList
        inputs = List.copyOf(inputs);
    }

    /** Malformed lines skipped over all inputs. */
    public long skippedLines() {
        long n = 0;
        for (FileReport r : inputs) {
            n += r.skipped();
        }
        return n;
    }
}
