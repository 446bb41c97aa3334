package io.connmon.parser;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads {@code <procRoot>/net/tcp}, {@code tcp6}, {@code udp} and {@code udp6}.
 *
 * <p>The proc root is {@code /proc} for the host's own network namespace; {@code /proc/PID} reads the tables of
 * the namespace process PID lives in; tests point it at a fixture tree. A missing {@code tcp6}/{@code udp6}
 * (IPv6 disabled) is no data; the source fails only when none of the four files can be read.
 */
public final class ProcfsSocketSource implements SocketSource {

    /** The four tables, in the order netstat reads them. */
    static final String[] FILES = {"net/tcp", "net/tcp6", "net/udp", "net/udp6"};

    private final Path procRoot;
    private final ByteOrder hostOrder;
    private final ProcNetTableReader reader = new ProcNetTableReader();
    private int lastSize = 1024;

    /** A source for this host's byte order. */
    public ProcfsSocketSource(Path procRoot) {
        this(procRoot, ByteOrder.nativeOrder());
    }

    /** A source for tables printed by a host of the given byte order (for tests of captured text). */
    public ProcfsSocketSource(Path procRoot, ByteOrder hostOrder) {
        this.procRoot = procRoot;
        this.hostOrder = hostOrder;
    }

    @Override
    public String name() {
        return "procfs";
    }

    /** The proc root this source reads below. */
    public Path procRoot() {
        return procRoot;
    }

    @Override
    public synchronized SocketTable collect() throws SourceException {
        List<SocketRecord> sockets = new ArrayList<>(lastSize + lastSize / 8);
        List<FileReport> reports = new ArrayList<>(FILES.length);
        boolean anyRead = false;
        String firstFailure = null;
        for (String file : FILES) {
            FileReport report = readTable(file, sockets);
            reports.add(report);
            if (report.present() && (!report.failed() || report.records() > 0)) {
                anyRead = true;
            } else if (firstFailure == null) {
                firstFailure = file + ": " + (report.present() ? report.error() : "absent");
            }
        }
        if (!anyRead) {
            throw new SourceException("cannot read the socket tables under " + procRoot + ": " + firstFailure);
        }
        lastSize = Math.max(1024, sockets.size());
        return new SocketTable(name(), sockets, reports);
    }

    private FileReport readTable(String file, List<SocketRecord> sink) {
        Protocol protocol = file.startsWith("net/tcp") ? Protocol.TCP : Protocol.UDP;
        Family family = file.endsWith("6") ? Family.IPV6 : Family.IPV4;
        Path path = procRoot.resolve(file);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return reader.read(file, ch, new ProcNetParser(protocol, family, hostOrder), sink::add);
        } catch (NoSuchFileException e) {
            return FileReport.absent(file);
        } catch (IOException | SecurityException e) {
            return new FileReport(file, true, 0, 0, List.of(), "cannot open: " + e);
        }
    }
}
