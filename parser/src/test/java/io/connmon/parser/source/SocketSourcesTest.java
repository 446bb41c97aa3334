package io.connmon.parser.source;

import io.connmon.parser.Fixtures;
import io.connmon.parser.source.oshi.OshiSocketSource;
import io.connmon.parser.source.procfs.ProcfsSocketSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SocketSourcesTest {

    @Test
    void autoPicksProcfsWhereTheTablesAre() {
        SocketSources.Choice c = SocketSources.choose(SourceKind.AUTO, Fixtures.PROC);
        ProcfsSocketSource s = assertInstanceOf(ProcfsSocketSource.class, c.source());
        assertEquals(Fixtures.PROC, s.procRoot());
        assertEquals("source procfs: " + Fixtures.PROC.resolve("net/tcp") + " is readable (auto)", c.reason());
    }

    @Test
    void autoFallsBackToOshi(@TempDir Path empty) {
        SocketSources.Choice c = SocketSources.choose(SourceKind.AUTO, empty);
        assertInstanceOf(OshiSocketSource.class, c.source());
        assertEquals("source oshi: " + empty.resolve("net/tcp") + " is not readable (auto fallback)", c.reason());
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
    @CsvSource({"auto,AUTO", "PROCFS,PROCFS", "Oshi,OSHI"})
    void parsesKinds(String text, SourceKind kind) {
        assertEquals(kind, SourceKind.fromLabel(text));
        assertEquals(text.toLowerCase(), kind.label());
    }

    @Test
    void rejectsOtherKinds() {
        assertNull(SourceKind.fromLabel("netlink"));
        assertNull(SourceKind.fromLabel(null));
    }
}
