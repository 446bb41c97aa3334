package io.connmon.parser.source.procfs;

import io.connmon.parser.counters.SockstatEstimate;
import io.connmon.parser.model.CompactSocketList;
import io.connmon.parser.model.Family;
import io.connmon.parser.model.FileReport;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketTable;
import io.connmon.parser.model.SourceCapabilities;
import io.connmon.parser.source.SocketSource;
import io.connmon.parser.source.SourceException;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;

/**
 * Reads {@code <procRoot>/net/tcp}, {@code tcp6}, {@code udp} and {@code udp6}.
 *
 * <p>The proc root is {@code /proc} for the host's own network namespace; {@code /proc/PID} reads the tables of
 * the namespace process PID lives in; tests point it at a fixture tree. The source fails only when none of the
 * four files can be read; otherwise each file's {@link FileReport.State} says what became of it:
 * <ul>
 * <li>{@code net/tcp6} and {@code net/udp6} absent together, without {@code net/if_inet6}: IPv6 is off (the
 *     kernel was booted with {@code ipv6.disable=1}), {@link FileReport.State#ABSENT ABSENT}, no data;</li>
 * <li>one of them absent while the other, or {@code net/if_inet6}, is there: {@link FileReport.State#FAILED
 *     FAILED}, since IPv6 is on and its sockets are unknown;</li>
 * <li>{@code net/tcp} or {@code net/udp} absent while another table is there: FAILED (IPv4 cannot be turned
 *     off);</li>
 * <li>a file that cannot be opened or read through, or has no bytes at all (not even the header the kernel
 *     always prints): FAILED. A header and no lines is a table with no sockets: READ.</li>
 * </ul>
 *
 * <p>Most of a collection is the kernel printing these files. On a machine with more than one core the IPv6
 * tables are read on a second thread while the IPv4 ones are read on the caller's, so a collection costs about
 * the longer of the two rather than their sum (with a quarter of the sockets on IPv6, about a quarter less);
 * the records still come out in file order.
 */
public final class ProcfsSocketSource implements SocketSource {

    /** The four tables, in the order netstat reads them. */
    static final String[] FILES = {"net/tcp", "net/tcp6", "net/udp", "net/udp6"};

    private final Path procRoot;
    private final ByteOrder hostOrder;
    private final ProcNetTableReader reader = new ProcNetTableReader();
    private final ProcNetTableReader reader6 = new ProcNetTableReader();
    private final int[] lastSizes = {0, 0, 0, 0}; // 0: not read yet
    private final boolean parallel;
    private ExecutorService lane6; // created on first use

    /** A source for this host's byte order. */
    public ProcfsSocketSource(Path procRoot) {
        this(procRoot, ByteOrder.nativeOrder());
    }

    /** A source for tables printed by a host of the given byte order (for tests of captured text). */
    public ProcfsSocketSource(Path procRoot, ByteOrder hostOrder) {
        this(procRoot, hostOrder, Runtime.getRuntime().availableProcessors() > 1);
    }

    /** A source that reads the IPv6 tables on a second thread when {@code parallel} is true. */
    public ProcfsSocketSource(Path procRoot, ByteOrder hostOrder, boolean parallel) {
        this.procRoot = procRoot;
        this.hostOrder = hostOrder;
        this.parallel = parallel;
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
        CompactSocketList.Builder[] lists = new CompactSocketList.Builder[FILES.length];
        FileReport[] reports = new FileReport[FILES.length];
        Future<?> v6 = null;
        if (parallel) {
            try {
                v6 = lane6().submit(() -> {
                    readInto(1, reader6, lists, reports);
                    readInto(3, reader6, lists, reports);
                });
            } catch (RejectedExecutionException e) {
                v6 = null; // closed: read them here
            }
        }
        readInto(0, reader, lists, reports);
        readInto(2, reader, lists, reports);
        if (v6 == null) {
            readInto(1, reader, lists, reports);
            readInto(3, reader, lists, reports);
        } else {
            try {
                v6.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                v6.cancel(true);
                throw new SourceException("interrupted while reading the IPv6 tables", e);
            } catch (ExecutionException e) {
                // readInto never throws; should it, read the IPv6 tables again here
                readInto(1, reader, lists, reports);
                readInto(3, reader, lists, reports);
            }
        }
        boolean anyRead = false;
        String firstFailure = null;
        for (int i = 0; i < FILES.length; i++) {
            FileReport report = reports[i];
            if (report.present() && (!report.failed() || report.records() > 0)) {
                anyRead = true;
            } else if (firstFailure == null) {
                firstFailure = FILES[i] + ": " + (report.present() ? report.error() : "absent");
            }
        }
        if (!anyRead) {
            throw new SourceException("cannot read the socket tables under " + procRoot + ": " + firstFailure);
        }
        judgeAbsent(reports);
        for (int i = 0; i < FILES.length; i++) {
            lastSizes[i] = Math.max(16, lists[i].size());
        }
        long dropped = 0; // a chunked read under churn can list a socket twice: keep the first (by inode)
        for (CompactSocketList.Builder b : lists) {
            dropped += b.dropDuplicates();
        }
        return new SocketTable(name(), CompactSocketList.of(List.of(lists)), List.of(reports),
                SourceCapabilities.PROCFS, dropped);
    }

    /** Turns each absent table that should exist into a failed one: see the class comment. */
    private void judgeAbsent(FileReport[] reports) {
        for (int i = 0; i < FILES.length; i++) {
            if (reports[i].state() != FileReport.State.ABSENT) {
                continue;
            }
            if (i % 2 == 0) {
                int other = FILES.length - 2 - i; // tcp <-> udp
                String there = reports[other].present() ? FILES[other]
                        : reports[i + 1].present() ? FILES[i + 1] : FILES[other + 1];
                reports[i] = FileReport.missing(FILES[i], "but " + there + " is there (IPv4 cannot be turned off)");
            } else {
                int sibling = i == 1 ? 3 : 1;
                if (reports[sibling].present()) {
                    reports[i] = FileReport.missing(FILES[i], "but " + FILES[sibling] + " is there (IPv6 is on)");
                } else if (java.nio.file.Files.exists(procRoot.resolve("net/if_inet6"))) {
                    reports[i] = FileReport.missing(FILES[i], "but net/if_inet6 is there (IPv6 is on)");
                }
            }
        }
    }

    private void readInto(int i, ProcNetTableReader r, CompactSocketList.Builder[] lists, FileReport[] reports) {
        int expected = lastSizes[i] > 0 ? lastSizes[i] + lastSizes[i] / 8
                : SockstatEstimate.firstRead(procRoot, i, 8);
        CompactSocketList.Builder b = new CompactSocketList.Builder(expected);
        lists[i] = b;
        reports[i] = readTable(FILES[i], r, b);
    }

    private synchronized ExecutorService lane6() {
        if (lane6 == null) {
            lane6 = Executors.newSingleThreadExecutor(task -> {
                Thread t = new Thread(task, "connmon-procfs-ipv6");
                t.setDaemon(true);
                return t;
            });
        }
        return lane6;
    }

    /** Stops the second reading thread, if any. */
    @Override
    public synchronized void close() {
        if (lane6 != null) {
            lane6.shutdownNow();
        }
    }

    private FileReport readTable(String file, ProcNetTableReader reader, CompactSocketList.Builder sink) {
        Protocol protocol = file.startsWith("net/tcp") ? Protocol.TCP : Protocol.UDP;
        Family family = file.endsWith("6") ? Family.IPV6 : Family.IPV4;
        Path path = procRoot.resolve(file);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return reader.read(file, ch, new ProcNetParser(protocol, family, hostOrder), sink);
        } catch (NoSuchFileException e) {
            return FileReport.absent(file);
        } catch (IOException | SecurityException e) {
            return new FileReport(file, true, 0, 0, List.of(), "cannot open: " + e);
        }
    }
}
