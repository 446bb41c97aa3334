package io.connmon.parser.source.procfs;

import io.connmon.parser.model.FileReport;
import io.connmon.parser.model.SocketRecord;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Splits a {@code /proc/net/tcp}-style table read from a channel into lines and feeds them to a
 * {@link ProcNetParser}.
 *
 * <p>The channel is read in 64 KiB chunks: the kernel's seq_file makes 4 KiB and 1 MiB reads 15-40% dearer.
 * The header line is skipped when present; a missing header costs nothing. Malformed lines are skipped and
 * counted, and so is a last line without its newline (the kernel ends every line with one: such a line was cut
 * off, perhaps inside its inode). An I/O error mid-read keeps what was read before it and fails the input; so
 * does a file of no bytes at all (the kernel always prints the header). Nothing here throws on bad input.
 */
public final class ProcNetTableReader {

    /** The read size. */
    static final int CHUNK = 64 * 1024;
    /** A line longer than this is garbage and is skipped. */
    static final int MAX_LINE = 4096;

    private final byte[] buf = new byte[CHUNK + MAX_LINE + 1];

    /**
     * Reads one table to its end.
     *
     * @param name the input's name for the report, such as {@code net/tcp}
     * @param channel the open table; not closed here
     * @param parser the parser for this table's protocol and family
     * @param sink receives each record in file order
     * @return what was read: records, skipped lines with reasons, and the error that stopped the read, if any
     */
    public FileReport read(String name, ReadableByteChannel channel, ProcNetParser parser,
            Consumer<SocketRecord> sink) {
        long records = 0;
        long skipped = 0;
        List<String> problems = new ArrayList<>(0);
        String error = null;
        ByteBuffer bb = ByteBuffer.wrap(buf);
        int start = 0; // first unparsed byte
        int end = 0; // end of valid bytes
        long lineNo = 1; // number of the line at 'start'
        boolean header = true;
        boolean eof = false;
        boolean discarding = false; // inside an over-long line
        boolean readFailed = false;
        long bytes = 0;
        while (true) {
            // Parse every whole line in buf[start, end).
            while (start < end) {
                if (discarding) {
                    int nl = indexOf(buf, start, end);
                    if (nl < 0) {
                        start = end;
                        break;
                    }
                    start = nl + 1;
                    lineNo++;
                    discarding = false;
                    continue;
                }
                if (header) {
                    int nl = indexOf(buf, start, end);
                    if (nl < 0) {
                        break;
                    }
                    header = false;
                    if (isHeader(buf, start, nl)) {
                        start = nl + 1;
                        lineNo++;
                        continue;
                    }
                }
                int next = parser.parse(buf, start, end);
                if (next == ProcNetParser.NEED_MORE) {
                    break;
                }
                SocketRecord r = parser.record();
                if (r != null) {
                    sink.accept(r);
                    records++;
                } else if (!isBlank(buf, start, next)) {
                    skipped++;
                    if (problems.size() < FileReport.MAX_PROBLEMS) {
                        problems.add("line " + lineNo + ": " + parser.error());
                    }
                }
                start = next;
                lineNo++;
            }
            if (eof) {
                break;
            }
            // Keep the partial line, then read more behind it.
            int rest = end - start;
            if (rest >= MAX_LINE) {
                skipped++;
                if (problems.size() < FileReport.MAX_PROBLEMS) {
                    problems.add("line " + lineNo + ": longer than " + MAX_LINE + " bytes");
                }
                discarding = true;
                rest = 0;
                start = end;
            }
            System.arraycopy(buf, start, buf, 0, rest);
            start = 0;
            end = rest;
            bb.limit(end + CHUNK).position(end);
            int n;
            try {
                n = channel.read(bb);
            } catch (IOException e) {
                error = "read failed after line " + (lineNo - 1) + ": " + e.getMessage();
                readFailed = true;
                n = -1;
            }
            if (n < 0) {
                eof = true;
                if (end > start && !discarding && !isBlank(buf, start, end)) {
                    // The read stopped inside a line: its last field may be cut short (an inode of 11102
                    // instead of 111020), so it is dropped rather than trusted. A header alone loses nothing.
                    if (!(header && !readFailed && isHeader(buf, start, end))) {
                        skipped++;
                        if (problems.size() < FileReport.MAX_PROBLEMS) {
                            problems.add("line " + lineNo + (readFailed ? ": cut short by the read error"
                                    : ": cut off at the end of the file (no newline)"));
                        }
                    }
                }
                start = end;
            } else {
                end += n;
                bytes += n;
            }
        }
        if (error == null && bytes == 0) {
            error = "empty: not even the header line";
        }
        return new FileReport(name, true, records, skipped, problems, error);
    }

    private static boolean isHeader(byte[] buf, int from, int to) {
        for (int i = from; i < to; i++) {
            if (buf[i] != ' ') {
                return buf[i] == 's'; // "  sl  local_address ..."
            }
        }
        return false;
    }

    private static boolean isBlank(byte[] buf, int from, int to) {
        for (int i = from; i < to; i++) {
            if (buf[i] != ' ' && buf[i] != '\n' && buf[i] != '\t' && buf[i] != '\r') {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(byte[] buf, int from, int to) {
        for (int i = from; i < to; i++) {
            if (buf[i] == '\n') {
                return i;
            }
        }
        return -1;
    }
}
