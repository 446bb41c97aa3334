package io.connmon.parser.source.procfs;

import io.connmon.parser.Fixtures;
import io.connmon.parser.counters.NetStatParser;
import io.connmon.parser.model.Family;
import io.connmon.parser.model.FileReport;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketRecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;

/**
 * Mutates one line of a captured fixture at random, thousands of times with a fixed seed, and checks that
 * nothing throws, that no line is lost to a bug (the parser turns its own exceptions into an "internal error"
 * problem, which must never appear), that the fast path and the general parser agree, and that every line the
 * mutation did not touch still comes out, in order.
 */
class MutationFuzzTest {

    private static final long SEED = 0x5EED_C0DEL;
    private static final int CASES = 5000;

    private record Table(String name, Protocol protocol, Family family, List<String> lines, List<SocketRecord> records) {
    }

    private static List<Table> tables() {
        List<Table> out = new ArrayList<>();
        for (String name : ProcfsSocketSource.FILES) {
            Protocol p = name.startsWith("net/tcp") ? Protocol.TCP : Protocol.UDP;
            Family f = name.endsWith("6") ? Family.IPV6 : Family.IPV4;
            List<String> lines = Fixtures.linesWithEnds(Fixtures.PROC.resolve(name));
            // Each line's own record, parsed alone: null for the header.
            List<SocketRecord> records = new ArrayList<>();
            ProcNetParser parser = new ProcNetParser(p, f, ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < lines.size(); i++) {
                byte[] b = Fixtures.bytes(lines.get(i));
                parser.parse(b, 0, b.length);
                records.add(i == 0 ? null : parser.record());
                if (i > 0 && parser.record() == null) {
                    fail(name + " line " + (i + 1) + " does not parse: " + parser.error());
                }
            }
            out.add(new Table(name, p, f, lines, records));
        }
        return out;
    }

    private static final String ALPHABET = "0123456789ABCDEFabcdef:- \n\t\r\u0000\u00ffxZ*";

    /** One random change to a line. */
    static String mutate(String line, Random rnd) {
        int n = line.length();
        int at = rnd.nextInt(Math.max(1, n));
        char c = rnd.nextInt(4) == 0 ? (char) rnd.nextInt(256) : ALPHABET.charAt(rnd.nextInt(ALPHABET.length()));
        switch (rnd.nextInt(9)) {
            case 0: // replace a byte
                return line.substring(0, at) + c + line.substring(Math.min(n, at + 1));
            case 1: // delete a byte (perhaps the newline)
                return line.substring(0, at) + line.substring(Math.min(n, at + 1));
            case 2: // insert a byte
                return line.substring(0, at) + c + line.substring(at);
            case 3: // truncate, keeping the newline
                return line.substring(0, at) + "\n";
            case 4: // truncate, losing the newline
                return line.substring(0, at);
            case 5: { // delete a run of bytes (a missing column)
                int len = 1 + rnd.nextInt(20);
                return line.substring(0, at) + line.substring(Math.min(n, at + len));
            }
            case 6: { // duplicate a run (an extra column)
                int len = 1 + rnd.nextInt(20);
                return line.substring(0, at) + line.substring(at, Math.min(n, at + len)) + line.substring(at);
            }
            case 7: // a very long run of one byte
                return line.substring(0, at) + String.valueOf(c).repeat(1 + rnd.nextInt(6000)) + line.substring(at);
            default: // swap two bytes
                int other = rnd.nextInt(Math.max(1, n));
                char[] chars = line.toCharArray();
                if (n > 0) {
                    char t = chars[at];
                    chars[at] = chars[other];
                    chars[other] = t;
                }
                return new String(chars);
        }
    }

    @Test
    void mutatedTablesNeverThrowAndKeepTheUntouchedLines() {
        List<Table> tables = tables();
        Random rnd = new Random(SEED);
        int extraRecords = 0;
        for (int k = 0; k < CASES; k++) {
            Table t = tables.get(rnd.nextInt(tables.size()));
            int target = rnd.nextInt(t.lines().size());
            String mutated = mutate(t.lines().get(target), rnd);
            StringBuilder text = new StringBuilder();
            List<SocketRecord> expected = new ArrayList<>();
            // A mutation that removes the line's newline merges it with the next line: both are touched.
            boolean mergesNext = !mutated.endsWith("\n") && target + 1 < t.lines().size();
            for (int i = 0; i < t.lines().size(); i++) {
                text.append(i == target ? mutated : t.lines().get(i));
                boolean touched = i == target || (mergesNext && i == target + 1);
                if (!touched && t.records().get(i) != null) {
                    expected.add(t.records().get(i));
                }
            }
            String what = "case " + k + ": " + t.name() + " line " + (target + 1) + " -> " + escape(mutated);
            int chunk = 1 + rnd.nextInt(rnd.nextBoolean() ? 200 : 70_000);
            IntSupplier chunks = () -> chunk;
            List<SocketRecord> got = new ArrayList<>();
            FileReport report;
            try {
                report = new ProcNetTableReader().read(t.name(),
                        new Fixtures.ScriptedChannel(Fixtures.bytes(text.toString()), chunks, -1),
                        new ProcNetParser(t.protocol(), t.family(), ByteOrder.LITTLE_ENDIAN), got::add);
            } catch (RuntimeException e) {
                throw new AssertionError(what, e);
            }
            // The untouched lines come out in order; the touched ones may give up to two records of their own
            // (a newline inserted into a line splits it in two).
            int p = 0;
            int extra = 0;
            for (SocketRecord r : got) {
                if (p < expected.size() && r.equals(expected.get(p))) {
                    p++;
                } else {
                    extra++;
                }
            }
            assertEquals(expected.size(), p, what);
            assertTrue(extra <= 2, what);
            assertEquals(got.size(), report.records(), what);
            assertTrue(report.problems().size() <= FileReport.MAX_PROBLEMS, what);
            assertEquals(null, report.error(), what);
            for (String problem : report.problems()) {
                assertFalse(problem.contains("internal error") || problem.contains("Exception"), what + ": " + problem);
            }
            // The general parser alone gives the same records and the same report.
            List<SocketRecord> general = new ArrayList<>();
            FileReport generalReport = new ProcNetTableReader().read(t.name(),
                    new Fixtures.ScriptedChannel(Fixtures.bytes(text.toString()), chunks, -1),
                    new ProcNetParser(t.protocol(), t.family(), ByteOrder.LITTLE_ENDIAN).withoutFastPath(),
                    general::add);
            assertEquals(got, general, what);
            assertEquals(report, generalReport, what);
            extraRecords += extra;
        }
        // Some mutations keep a line valid (a byte changed in the ignored trailing columns): that is fine, but
        // most must be caught, or the fuzzing is not reaching the parser.
        assertTrue(extraRecords < CASES / 2, "mutated lines accepted: " + extraRecords);
    }

    @Test
    void tablesCutAtEveryPlaceKeepExactlyTheWholeLines() {
        // A file that vanishes mid-read: what was read whole comes out, the line it stopped in does not.
        Random rnd = new Random(SEED);
        for (Table t : tables()) {
            String text = String.join("", t.lines());
            for (int cut = 0; cut <= text.length(); cut++) {
                List<SocketRecord> expected = new ArrayList<>();
                int end = 0;
                for (int i = 0; i < t.lines().size(); i++) {
                    end += t.lines().get(i).length();
                    if (end <= cut && t.records().get(i) != null) {
                        expected.add(t.records().get(i));
                    }
                }
                int chunk = 1 + rnd.nextInt(300);
                List<SocketRecord> got = new ArrayList<>();
                FileReport r = new ProcNetTableReader().read(t.name(),
                        new Fixtures.ScriptedChannel(Fixtures.bytes(text), () -> chunk, cut),
                        new ProcNetParser(t.protocol(), t.family(), ByteOrder.LITTLE_ENDIAN), got::add);
                assertEquals(expected, got, t.name() + " cut at " + cut);
                assertTrue(r.failed(), t.name() + " cut at " + cut);
            }
        }
    }

    @Test
    void mutatedCounterFilesNeverThrowAndKeepTheUntouchedLines() {
        Random rnd = new Random(SEED);
        String[] files = {"net/snmp", "net/netstat", "net/snmp6", "net/sockstat", "net/sockstat6"};
        for (int k = 0; k < CASES; k++) {
            String file = files[rnd.nextInt(files.length)];
            List<String> lines = Fixtures.linesWithEnds(Fixtures.PROC.resolve(file));
            int target = rnd.nextInt(lines.size());
            String mutated = mutate(lines.get(target), rnd);
            List<String> copy = new ArrayList<>(lines);
            copy.set(target, mutated);
            String what = "case " + k + ": " + file + " line " + (target + 1) + " -> " + escape(mutated);
            Map<String, Map<String, Long>> base = parse(file, String.join("", lines));
            Map<String, Map<String, Long>> got;
            try {
                got = parse(file, String.join("", copy));
            } catch (RuntimeException e) {
                throw new AssertionError(what, e);
            }
            // Names the mutated lines mention may have changed; every other value must be as before.
            boolean pairs = file.equals("net/snmp") || file.equals("net/netstat");
            int first = pairs ? target - target % 2 : target;
            String touched = String.join("", copy.subList(first, Math.min(copy.size(), first + (pairs ? 3 : 2))))
                    + lines.get(target);
            for (Map.Entry<String, Map<String, Long>> g : base.entrySet()) {
                for (Map.Entry<String, Long> e : g.getValue().entrySet()) {
                    if (touched.contains(g.getKey()) && (pairs || touched.contains(e.getKey()))) {
                        continue;
                    }
                    Map<String, Long> gotGroup = got.get(g.getKey());
                    assertEquals(e.getValue(), gotGroup == null ? null : gotGroup.get(e.getKey()),
                            what + ": " + g.getKey() + " " + e.getKey());
                }
            }
        }
    }

    private static Map<String, Map<String, Long>> parse(String file, String text) {
        Map<String, Map<String, Long>> out = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        if (file.equals("net/snmp6")) {
            NetStatParser.parseSnmp6(text, out, problems);
        } else if (file.startsWith("net/sockstat")) {
            NetStatParser.parseSockstat(text, out, problems);
        } else {
            NetStatParser.parseHeaderValuePairs(text, out, problems);
        }
        NetStatParser.parsePortRange(text, problems);
        return out;
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : (s.length() > 300 ? s.substring(0, 300) + "..." : s).toCharArray()) {
            sb.append(c >= 0x20 && c < 0x7F ? String.valueOf(c) : String.format("\\x%02x", (int) c));
        }
        return sb.toString();
    }
}
