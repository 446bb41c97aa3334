package io.connmon.parser;

import io.connmon.parser.model.Family;
import io.connmon.parser.model.FileReport;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketTable;
import io.connmon.parser.source.SourceException;
import io.connmon.parser.source.procfs.ProcNetParser;
import io.connmon.parser.source.procfs.ProcNetTableReader;
import io.connmon.parser.source.procfs.ProcfsSocketSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;

/** The fixture trees under {@code src/test/resources} and small tools to read them. */
public final class Fixtures {

    /** Captured from a real 6.18 kernel by {@code capture-fixture.sh}. */
    public static final Path PROC = resource("proc");
    /** {@link #PROC}'s four tables as a big-endian host prints them ({@code make-big-endian.py}). */
    public static final Path PROC_BIG_ENDIAN = resource("proc-big-endian");
    /** Deliberately broken files: see the comments in {@link BrokenFixtureTest}. */
    public static final Path BROKEN = resource("broken");
    /** States the kernel never prints, written by hand ({@code handmade/README.md}). */
    public static final Path HANDMADE = resource("handmade");

    /** The address the capture gave its interface, and the deliberately asymmetric IPv6 one. */
    public static final String A4 = "10.254.222.37";
    public static final String A6 = "2001:db8:1234:5678:9abc:def0:1357:2468";

    private Fixtures() {
    }

    public static Path resource(String name) {
        URL url = Fixtures.class.getResource("/" + name);
        if (url == null) {
            throw new IllegalStateException("missing test resource " + name);
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String text(Path file) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The file's lines, each with its {@code '\n'} (the last one may lack it). */
    public static List<String> linesWithEnds(Path file) {
        String t = text(file);
        List<String> out = new ArrayList<>();
        int from = 0;
        while (from < t.length()) {
            int nl = t.indexOf('\n', from);
            int to = nl < 0 ? t.length() : nl + 1;
            out.add(t.substring(from, to));
            from = to;
        }
        return out;
    }

    public static SocketTable collect(Path root, ByteOrder order) {
        try {
            return new ProcfsSocketSource(root, order).collect();
        } catch (SourceException e) {
            throw new AssertionError(e);
        }
    }

    public static FileReport report(SocketTable table, String name) {
        return table.inputs().stream().filter(r -> r.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no report for " + name));
    }

    /** Parses one whole table held in memory, as {@link ProcfsSocketSource} would read it from a file. */
    public static List<SocketRecord> parseTable(String text, Protocol protocol, Family family, ByteOrder order,
            List<FileReport> reportOut) {
        List<SocketRecord> out = new ArrayList<>();
        FileReport r = new ProcNetTableReader().read("test", new ScriptedChannel(bytes(text), () -> Integer.MAX_VALUE, -1),
                new ProcNetParser(protocol, family, order), out::add);
        if (reportOut != null) {
            reportOut.add(r);
        }
        return out;
    }

    public static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * A channel over fixed bytes that hands them out in chunks of the sizes it is told, and fails with an
     * {@link IOException} once {@code failAfter} bytes are out (never, if negative): a file that vanishes
     * mid-read, as a /proc file does when its namespace goes away.
     */
    public static final class ScriptedChannel implements ReadableByteChannel {
        private final byte[] data;
        private final IntSupplier chunk;
        private final int failAfter;
        private int pos;
        private boolean open = true;

        public ScriptedChannel(byte[] data, IntSupplier chunk, int failAfter) {
            this.data = data;
            this.chunk = chunk;
            this.failAfter = failAfter;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            if (failAfter >= 0 && pos >= failAfter) {
                throw new IOException("No such file or directory");
            }
            if (pos >= data.length) {
                return -1;
            }
            int stop = failAfter >= 0 ? Math.min(data.length, failAfter) : data.length;
            int n = Math.min(Math.min(dst.remaining(), Math.max(1, chunk.getAsInt())), stop - pos);
            dst.put(data, pos, n);
            pos += n;
            return n;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }
    }
}
