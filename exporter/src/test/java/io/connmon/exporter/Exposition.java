package io.connmon.exporter;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/** Prometheus text exposition (0.0.4 or OpenMetrics), parsed into samples, HELP and TYPE lines. */
final class Exposition {

    record Sample(String name, Map<String, String> labels, double value) {
    }

    final String text;
    final List<Sample> samples = new ArrayList<>();
    final Map<String, String> types = new LinkedHashMap<>();
    final Map<String, String> helps = new LinkedHashMap<>();

    private Exposition(String text) {
        this.text = text;
    }

    static Exposition parse(String text) {
        Exposition e = new Exposition(text);
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.equals("# EOF")) {
                continue;
            }
            if (line.startsWith("# TYPE ")) {
                String[] f = line.substring(7).split(" ", 2);
                e.types.put(f[0], f[1]);
            } else if (line.startsWith("# HELP ")) {
                String[] f = line.substring(7).split(" ", 2);
                e.helps.put(f[0], f.length > 1 ? f[1] : "");
            } else if (line.startsWith("#")) {
                continue;
            } else {
                e.samples.add(sample(line));
            }
        }
        return e;
    }

    private static Sample sample(String line) {
        int i = 0;
        while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
            i++;
        }
        String name = line.substring(0, i);
        Map<String, String> labels = new LinkedHashMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            i++;
            while (line.charAt(i) != '}') {
                int eq = line.indexOf('=', i);
                String key = line.substring(i, eq);
                if (line.charAt(eq + 1) != '"') {
                    throw new IllegalArgumentException("unquoted label value in: " + line);
                }
                StringBuilder v = new StringBuilder();
                int j = eq + 2;
                for (; line.charAt(j) != '"'; j++) {
                    char c = line.charAt(j);
                    if (c == '\\') {
                        char n = line.charAt(++j);
                        v.append(n == 'n' ? '\n' : n);
                    } else {
                        v.append(c);
                    }
                }
                labels.put(key, v.toString());
                i = j + 1;
                if (line.charAt(i) == ',') {
                    i++;
                }
            }
            i++;
        }
        String[] rest = line.substring(i).trim().split(" ");
        return new Sample(name, labels, parseValue(rest[0]));
    }

    private static double parseValue(String v) {
        switch (v) {
            case "+Inf":
                return Double.POSITIVE_INFINITY;
            case "-Inf":
                return Double.NEGATIVE_INFINITY;
            case "NaN":
                return Double.NaN;
            default:
                return Double.parseDouble(v);
        }
    }

    /** The samples of one series name. */
    List<Sample> samples(String name) {
        return samples.stream().filter(s -> s.name.equals(name)).collect(Collectors.toList());
    }

    /** The samples of {@code name} whose labels include all of {@code labels} (name, value, ...). */
    List<Sample> matching(String name, String... labels) {
        Map<String, String> want = map(labels);
        return samples(name).stream()
                .filter(s -> want.entrySet().stream().allMatch(w -> w.getValue().equals(s.labels.get(w.getKey()))))
                .collect(Collectors.toList());
    }

    /** The value of the one sample with exactly these labels; fails if there is none. */
    double value(String name, String... labels) {
        Map<String, String> want = map(labels);
        for (Sample s : samples(name)) {
            if (s.labels.equals(want)) {
                return s.value;
            }
        }
        return fail("no sample " + name + want + " in:\n" + samples(name));
    }

    boolean has(String name, String... labels) {
        Map<String, String> want = map(labels);
        return samples(name).stream().anyMatch(s -> s.labels.equals(want));
    }

    /** The distinct values of one label across a series name. */
    Set<String> labelValues(String name, String label) {
        return samples(name).stream().map(s -> s.labels.get(label)).collect(Collectors.toCollection(TreeSet::new));
    }

    private static Map<String, String> map(String... labels) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < labels.length; i += 2) {
            m.put(labels[i], labels[i + 1]);
        }
        return m;
    }
}
