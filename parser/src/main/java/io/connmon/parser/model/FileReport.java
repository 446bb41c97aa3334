package io.connmon.parser.model;

import java.util.List;

/**
 * What a source made of one input (a file such as {@code net/tcp6}, or a netlink dump).
 *
 * @param name the input's name relative to the proc root, such as {@code net/tcp6}
 * @param present false when the input does not exist (IPv6 disabled: no data, not an error)
 * @param records the records taken from it
 * @param skipped malformed lines skipped
 * @param problems the first few reasons for skipping, each {@code "line N: reason"}
 * @param error why reading stopped early (the file vanished or failed mid-read), or {@code null}
 */
public record FileReport(String name, boolean present, long records, long skipped, List<String> problems,
        String error) {

    /** At most this many problems are kept per input. */
    public static final int MAX_PROBLEMS = 5;

    public FileReport {
        problems = List.copyOf(problems);
    }

    /** An input that does not exist. */
    public static FileReport absent(String name) {
        return new FileReport(name, false, 0, 0, List.of(), null);
    }

    /** Whether the input could not be read through (an absent one is not a failure). */
    public boolean failed() {
        return error != null;
    }
}
