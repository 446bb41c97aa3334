package io.connmon.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --source} and {@code --proc-root} together: a named proc root is never silently replaced. */
class SourceChoiceTest {



    @Test
    void aNamedProcRootWithoutTablesIsAnErrorNotAFallback(@TempDir Path empty) {
        CommandRun r = CommandRun.run("list", "-tan", "--proc-root", empty.toString());
        assertEquals(2, r.code, r.out);
        assertEquals(1, r.err.lines().count(), r.err);
        assertTrue(r.err.contains("--proc-root " + empty + " holds no socket tables"), r.err);
    }

    @Test
    void netlinkCannotReadAnotherProcRoot(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("net"));
        Files.writeString(dir.resolve("net/tcp"), "");
        CommandRun r = CommandRun.run("list", "--source", "netlink", "--proc-root", dir.toString());
        assertEquals(2, r.code);
        assertTrue(r.err.contains("--source netlink reads connmon's own network namespace"), r.err);
    }

    @Test
    void autoReadsANamedProcRootThroughProcfs(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("net"));
        Files.writeString(dir.resolve("net/tcp"),
                "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
                + "   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000003 00:00000000 00000000     0        0 21497 1 0000000000000000 100 0 0 10 0\n");
        CommandRun r = CommandRun.run("list", "-tln", "--json", "--proc-root", dir.toString());
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains("\"source\" : \"procfs\""), r.out);
        assertTrue(r.out.contains("\"port\" : 3306"), r.out);
    }

    @Test
    void listTlnThroughNetlinkListsListenersOnly() {
        CommandRun r = CommandRun.run("list", "-tln", "--source", "netlink");
        assertEquals(0, r.code, r.err);
        String[] lines = r.out.split("\n");
        assertTrue(lines[0].startsWith("Proto Recv-Q Send-Q"), r.out);
        for (int i = 1; i < lines.length; i++) {
            assertTrue(lines[i].endsWith("LISTEN") && lines[i].startsWith("tcp"), lines[i]);
        }
    }
}
