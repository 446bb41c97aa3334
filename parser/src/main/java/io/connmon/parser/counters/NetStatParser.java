package io.connmon.parser.counters;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pure parsers for the small counter files: {@code /proc/net/snmp}, {@code netstat}, {@code snmp6},
 * {@code sockstat}, {@code sockstat6} and {@code ip_local_port_range}. Each takes the file's text, adds what it
 * understands to {@code out}, and adds a one-line reason to {@code problems} for each line it cannot use.
 */
public final class NetStatParser {

    private NetStatParser() {
    }

    /**
     * {@code snmp} and {@code netstat}: lines in pairs, a header of names and a line of values, both prefixed with
     * the group.
     *
     * <pre>
     * Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens ...
     * Tcp: 1 200 120000 -1 1034 ...
     * </pre>
     */
    public static void parseHeaderValuePairs(String text, Map<String, Map<String, Long>> out, List<String> problems) {
        String[] lines = text.split("\n");
        for (int i = 0; i < lines.length; i++) {
            String header = lines[i];
            if (header.isBlank()) {
                continue;
            }
            int colon = header.indexOf(':');
            if (colon <= 0 || i + 1 >= lines.length) {
                problems.add("line " + (i + 1) + ": expected a 'Group: names' line followed by its values");
                continue;
            }
            String group = header.substring(0, colon);
            String values = lines[i + 1];
            String[] names = header.substring(colon + 1).trim().split("\\s+");
            if (!isName(group) || !allNames(names)) {
                // A values line out of place ("Udp: 1 2") must not become counters named "1" and "2".
                problems.add("line " + (i + 1) + ": expected a 'Group: names' line followed by its values");
                continue;
            }
            if (!values.startsWith(group + ":")) {
                problems.add("line " + (i + 2) + ": expected the values of " + group);
                if (!isHeader(values)) {
                    i++; // nobody's header either: one problem for it is enough
                }
                continue;
            }
            i++;
            String[] nums = values.substring(colon + 1).trim().split("\\s+");
            if (names.length != nums.length) {
                problems.add("line " + (i + 1) + ": " + group + " has " + names.length + " names but "
                        + nums.length + " values");
                continue;
            }
            Map<String, Long> g = out.computeIfAbsent(group, k -> new LinkedHashMap<>());
            for (int k = 0; k < names.length; k++) {
                try {
                    g.put(names[k], Long.parseLong(nums[k]));
                } catch (NumberFormatException e) {
                    problems.add("line " + (i + 1) + ": " + group + " " + names[k] + ": not a number '" + nums[k] + "'");
                }
            }
        }
    }

    /**
     * {@code snmp6}: one {@code NameValue} pair a line, the group being the name up to its first '6'
     * ({@code Ip6InReceives 1} is group {@code Ip6}, name {@code InReceives}).
     */
    public static void parseSnmp6(String text, Map<String, Map<String, Long>> out, List<String> problems) {
        String[] lines = text.split("\n");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].trim();
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split("\\s+");
            int six = f[0].indexOf('6');
            if (f.length != 2 || six <= 0 || six == f[0].length() - 1 || !isName(f[0])) {
                problems.add("line " + (i + 1) + ": expected 'Group6Name value'");
                continue;
            }
            try {
                long v = Long.parseLong(f[1]);
                out.computeIfAbsent(f[0].substring(0, six + 1), k -> new LinkedHashMap<>())
                        .put(f[0].substring(six + 1), v);
            } catch (NumberFormatException e) {
                problems.add("line " + (i + 1) + ": " + f[0] + ": not a number '" + f[1] + "'");
            }
        }
    }

    /** {@code sockstat} and {@code sockstat6}: {@code TCP: inuse 5 orphan 0 tw 2 alloc 7 mem 1}. */
    public static void parseSockstat(String text, Map<String, Map<String, Long>> out, List<String> problems) {
        String[] lines = text.split("\n");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.isBlank()) {
                continue;
            }
            int colon = line.indexOf(':');
            String[] f = colon > 0 ? line.substring(colon + 1).trim().split("\\s+") : new String[1];
            if (colon <= 0 || f.length % 2 != 0) {
                problems.add("line " + (i + 1) + ": expected 'PROTO: key value ...'");
                continue;
            }
            Map<String, Long> g = out.computeIfAbsent(line.substring(0, colon), k -> new LinkedHashMap<>());
            for (int k = 0; k < f.length; k += 2) {
                if (!isName(f[k])) {
                    problems.add("line " + (i + 1) + ": expected a key, not '" + f[k] + "'");
                    continue;
                }
                try {
                    g.put(f[k], Long.parseLong(f[k + 1]));
                } catch (NumberFormatException e) {
                    problems.add("line " + (i + 1) + ": " + f[k] + ": not a number '" + f[k + 1] + "'");
                }
            }
        }
    }

    /** A counter or group name as the kernel writes them: a letter, then letters, digits or '_'. */
    private static boolean isName(String s) {
        if (s.isEmpty() || !Character.isLetter(s.charAt(0))) {
            return false;
        }
        for (int i = 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c < 128 && (Character.isLetterOrDigit(c) || c == '_'))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isHeader(String line) {
        int colon = line.indexOf(':');
        return colon > 0 && isName(line.substring(0, colon))
                && allNames(line.substring(colon + 1).trim().split("\\s+"));
    }

    private static boolean allNames(String[] names) {
        for (String n : names) {
            if (!isName(n)) {
                return false;
            }
        }
        return true;
    }

    /** {@code ip_local_port_range}: two numbers, {@code 32768\t60999}; {@code null} with a problem if malformed. */
    public static PortRange parsePortRange(String text, List<String> problems) {
        String[] f = text.trim().split("\\s+");
        try {
            if (f.length == 2) {
                return new PortRange(Integer.parseInt(f[0]), Integer.parseInt(f[1]));
            }
        } catch (IllegalArgumentException e) {
            problems.add("line 1: " + e.getMessage());
            return null;
        }
        problems.add("line 1: expected two port numbers");
        return null;
    }
}
