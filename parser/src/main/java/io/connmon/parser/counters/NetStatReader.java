package io.connmon.parser.counters;

import io.connmon.parser.model.FileReport;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the counter files under a proc root into {@link NetStats}. Absent files are no data; unreadable or
 * malformed ones are reported in {@link NetStats#inputs()}; nothing throws.
 */
public final class NetStatReader {

    private final Path procRoot;
    private final java.util.function.Supplier<PortRange> portRange; // null: the file under the proc root

    public NetStatReader(Path procRoot) {
        this(procRoot, null);
    }

    /**
     * A reader taking the ephemeral port range from {@code portRange} rather than the proc root: another
     * namespace's range is not under {@code /proc/PID} (there is no {@code /proc/PID/sys}).
     */
    public NetStatReader(Path procRoot, java.util.function.Supplier<PortRange> portRange) {
        this.procRoot = procRoot;
        this.portRange = portRange;
    }

    public NetStats read() {
        Map<String, Map<String, Long>> counters = new LinkedHashMap<>();
        Map<String, Map<String, Long>> sockstat = new LinkedHashMap<>();
        List<FileReport> inputs = new ArrayList<>();
        PortRange[] range = new PortRange[1];
        read("net/snmp", inputs, (t, p) -> NetStatParser.parseHeaderValuePairs(t, counters, p));
        read("net/netstat", inputs, (t, p) -> NetStatParser.parseHeaderValuePairs(t, counters, p));
        read("net/snmp6", inputs, (t, p) -> NetStatParser.parseSnmp6(t, counters, p));
        read("net/sockstat", inputs, (t, p) -> NetStatParser.parseSockstat(t, sockstat, p));
        read("net/sockstat6", inputs, (t, p) -> NetStatParser.parseSockstat(t, sockstat, p));
        if (portRange != null) {
            range[0] = portRange.get();
        } else {
            read("sys/net/ipv4/ip_local_port_range", inputs, (t, p) -> range[0] = NetStatParser.parsePortRange(t, p));
        }
        return new NetStats(counters, sockstat, range[0], inputs);
    }

    /** The largest counter file read. */
    private static final int MAX_SMALL_FILE = 64 * 1024;

    /**
     * Reads a small proc file with one large first read. {@code Files.readAllBytes} asks a size-0 proc file for a
     * single byte first, and sysctl files answer only a read at offset 0: it would return "3" for "32768 60999".
     */
    public static String readSmall(Path path) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            byte[] buf = new byte[16 * 1024]; // the counter files are 0.1-10 KiB: little garbage per collection
            int n = 0;
            int r;
            while ((r = in.read(buf, n, buf.length - n)) > 0) {
                n += r;
                if (n == buf.length) {
                    if (buf.length == MAX_SMALL_FILE) {
                        throw new IOException(path + " is larger than " + MAX_SMALL_FILE + " bytes");
                    }
                    buf = java.util.Arrays.copyOf(buf, buf.length * 2);
                }
            }
            return new String(buf, 0, n, StandardCharsets.US_ASCII);
        }
    }

    private interface TextParser {
        void parse(String text, List<String> problems);
    }

    private void read(String file, List<FileReport> inputs, TextParser parser) {
        String text;
        try {
            text = readSmall(procRoot.resolve(file));
        } catch (NoSuchFileException e) {
            inputs.add(FileReport.absent(file));
            return;
        } catch (IOException | SecurityException e) {
            inputs.add(new FileReport(file, true, 0, 0, List.of(), "cannot read: " + e));
            return;
        }
        List<String> problems = new ArrayList<>();
        try {
            parser.parse(text, problems);
        } catch (RuntimeException e) {
            problems.add("parser error: " + e);
        }
        long lines = text.lines().count();
        List<String> kept = problems.size() > FileReport.MAX_PROBLEMS
                ? problems.subList(0, FileReport.MAX_PROBLEMS) : problems;
        inputs.add(new FileReport(file, true, Math.max(0, lines - problems.size()), problems.size(), kept, null));
    }
}
