package io.connmon.parser.source;

import io.connmon.parser.Fixtures;
import io.connmon.parser.source.netlink.NetlinkSocketSource;
import io.connmon.parser.source.oshi.OshiSocketSource;
import io.connmon.parser.source.procfs.ProcfsSocketSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SocketSourcesTest {

    private static final Path PROC = Path.of("/proc");

    /** The chosen source behind the heap check every choice gets. */
    private static SocketSource inner(SocketSources.Choice c) {
        return assertInstanceOf(HeapCheckedSource.class, c.source()).inner();
    }

    @Test
    void autoPicksNetlinkWhenADumpWorks() {
        SocketSources.Choice c = SocketSources.choose(SourceKind.AUTO, PROC, () -> null, p -> true);
        assertInstanceOf(NetlinkSocketSource.class, inner(c));
        assertEquals("source netlink: a sock_diag dump works (auto)", c.reason());
    }

    @Test
    void autoFallsBackToProcfsThenOshiSayingWhy() {
        SocketSources.Choice c = SocketSources.choose(SourceKind.AUTO, PROC, () -> "socket: errno 97", p -> true);
        assertEquals(PROC, assertInstanceOf(ProcfsSocketSource.class, inner(c)).procRoot());
        assertEquals("source procfs: netlink cannot be used (socket: errno 97); /proc/net/tcp is readable "
                + "(auto fallback)", c.reason());
        SocketSources.Choice o = SocketSources.choose(SourceKind.AUTO, PROC, () -> "socket: errno 97", p -> false);
        assertInstanceOf(OshiSocketSource.class, inner(o));
        assertEquals("source oshi: netlink cannot be used (socket: errno 97) and /proc/net/tcp is not readable "
                + "(auto fallback)", o.reason());
    }

    @Test
    void aNamedProcRootIsReadByProcfsNeverByNetlinkOrOshi(@TempDir Path empty) {
        SocketSources.Choice c = SocketSources.choose(SourceKind.AUTO, Fixtures.PROC, () -> null, p -> true);
        assertEquals(Fixtures.PROC, assertInstanceOf(ProcfsSocketSource.class, inner(c)).procRoot());
        assertEquals("source procfs: --proc-root " + Fixtures.PROC + " is not /proc and netlink sees only this "
                + "process's own network namespace (auto)", c.reason());
        // one that holds no tables is not a reason to read the host's sockets instead: the collection fails
        SocketSources.Choice e = SocketSources.choose(SourceKind.AUTO, empty);
        assertInstanceOf(ProcfsSocketSource.class, inner(e));
        SourceException x = assertThrows(SourceException.class, () -> e.source().collect());
        assertTrue(x.getMessage().startsWith("cannot read the socket tables under " + empty), x.getMessage());
    }

    @Test
    void explicitChoicesAreTakenAsAsked(@TempDir Path empty) {
        SocketSources.Choice p = SocketSources.choose(SourceKind.PROCFS, empty);
        assertEquals("procfs", p.source().name());
        assertEquals("source procfs: as configured, under " + empty, p.reason());
        SocketSources.Choice o = SocketSources.choose(SourceKind.OSHI, Fixtures.PROC);
        assertEquals("oshi", o.source().name());
        assertEquals("source oshi: as configured", o.reason());
        assertFalse(o.reason().contains("\n"));
    }

    @ParameterizedTest(name = "\"{0}\" is {1}")
    @CsvSource({"auto,AUTO", "PROCFS,PROCFS", "Oshi,OSHI", "NetLink,NETLINK"})
    void parsesKinds(String text, SourceKind kind) {
        assertEquals(kind, SourceKind.fromLabel(text));
        assertEquals(text.toLowerCase(), kind.label());
    }

    @Test
    void rejectsOtherKinds() {
        assertNull(SourceKind.fromLabel("sock_diag"));
        assertNull(SourceKind.fromLabel(null));
    }
}
