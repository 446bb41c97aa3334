package io.connmon.agent;

import java.time.Duration;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Durations as operators write them: {@code 0}, {@code 250ms}, {@code 5s}, {@code 1m}, {@code 1.5s}. */
final class DurationConverter implements ITypeConverter<Duration> {

    @Override
    public Duration convert(String value) {
        return parse(value);
    }

    static Duration parse(String value) {
        String v = value.trim();
        if (v.equals("0")) {
            return Duration.ZERO;
        }
        String unit;
        String num;
        if (v.endsWith("ms")) {
            unit = "ms";
            num = v.substring(0, v.length() - 2);
        } else if (v.endsWith("s") || v.endsWith("m") || v.endsWith("h")) {
            unit = v.substring(v.length() - 1);
            num = v.substring(0, v.length() - 1);
        } else {
            throw new TypeConversionException("'" + value + "' is not a duration: use 0, 500ms, 5s, 1m");
        }
        double n;
        try {
            n = Double.parseDouble(num);
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + value + "' is not a duration: use 0, 500ms, 5s, 1m");
        }
        if (n < 0 || Double.isNaN(n) || Double.isInfinite(n)) {
            throw new TypeConversionException("'" + value + "' is not a duration: it must be 0 or more");
        }
        double millis = n * (unit.equals("ms") ? 1 : unit.equals("s") ? 1000 : unit.equals("m") ? 60_000 : 3_600_000);
        return Duration.ofNanos(Math.round(millis * 1_000_000));
    }
}
