package io.connmon.parser.model;

import java.util.List;

/**
 * What a source made of one input (a file such as {@code net/tcp6}, or a netlink dump).
 *
 * @param name the input's name relative to the proc root, such as {@code net/tcp6}
 * @param present false when the input does not exist
 * @param records the records taken from it
 * @param skipped malformed lines skipped
 * @param problems the first few reasons for skipping, each {@code "line N: reason"}
 * @param error why the input failed (it vanished or failed mid-read, is empty, or is absent where it should
 *     exist), or {@code null}
 * @param state the verdict on the input: read, absent as expected, or failed; decided by the source, which
 *     knows what to expect (a missing {@code net/tcp6} is expected with IPv6 off, a missing {@code net/tcp} never)
 */
public record FileReport(String name, boolean present, long records, long skipped, List<String> problems,
        String error, State state) {

    /** At most this many problems are kept per input. */
    public static final int MAX_PROBLEMS = 5;

    /** The verdict on one input. Its {@link #label()} is what the metrics and JSON show. */
    public enum State {
        /** Read to its end (malformed lines may have been skipped); an empty table is read too. */
        READ,
        /** Does not exist, as expected (a table of a family the kernel has turned off): no data, no error. */
        ABSENT,
        /** Could not be read through, is empty where the kernel always prints a header, or is missing
         *  while it should exist: what it would have held is unknown. */
        FAILED;

        /** The lower-case name: {@code read}, {@code absent}, {@code failed}. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public FileReport {
        problems = List.copyOf(problems);
        if (state == null) {
            throw new IllegalArgumentException("no state for " + name);
        }
        if (state == State.FAILED && error == null) {
            throw new IllegalArgumentException("a failed input needs its error: " + name);
        }
        if (state != State.FAILED && error != null) {
            throw new IllegalArgumentException("an input with an error has failed: " + name);
        }
        if (state == State.ABSENT && present) {
            throw new IllegalArgumentException("an absent input is not present: " + name);
        }
    }

    /** A report whose state follows from the rest: absent if not present, failed if there is an error, else read. */
    public FileReport(String name, boolean present, long records, long skipped, List<String> problems,
            String error) {
        this(name, present, records, skipped, problems, error,
                error != null ? State.FAILED : present ? State.READ : State.ABSENT);
    }

    /** An input that does not exist, as expected. */
    public static FileReport absent(String name) {
        return new FileReport(name, false, 0, 0, List.of(), null);
    }

    /** An input that does not exist although it should: {@code why} says what made it expected. */
    public static FileReport missing(String name, String why) {
        return new FileReport(name, false, 0, 0, List.of(), "absent, " + why, State.FAILED);
    }

    /** Whether the input failed: what it would have held is unknown (an absent one is not a failure). */
    public boolean failed() {
        return state == State.FAILED;
    }
}
