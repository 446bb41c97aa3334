package io.connmon.parser.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The column arrays of tables that nobody reads any more, kept for the next builders of the same source, so that
 * a collection fills the arrays of the table before last instead of allocating megabytes of new ones. At 100,000
 * sockets a table is about 5 MB and its cookie set 2 MB; allocated anew at every collection, they fill the old
 * generation of a small heap and end most collections in a full garbage collection.
 *
 * <p>A source that keeps one passes it to its {@link CompactSocketList.Builder builders}; the list they make gives
 * its arrays back here when the last holder {@link CompactSocketList#release releases} it. Builders with spares
 * size their columns in steps of at most 1/16 (see {@link #sizeClass}), so that a table of about the same size
 * as the last one finds arrays of exactly its length. An array handed out is zeroed, as a new one would be.
 *
 * <p>It keeps the arrays of the last table given back (those of an earlier one that no builder took are let go)
 * and at most {@value #LOOSE} loose arrays (cookie sets, the columns of empty builders). Thread-safe: tables are
 * released on whichever thread rendered them last.
 */
public final class ColumnSpares {

    private static final int LOOSE = 16;

    private final List<Object> table = new ArrayList<>();
    private final List<Object> loose = new ArrayList<>();

    /**
     * The length a builder with spares gives its columns for {@code n} rows: {@code n} rounded up to one of 16
     * steps per power of two (at most 6.25% more), 64 at least.
     */
    public static int sizeClass(int n) {
        if (n <= 64) {
            return 64;
        }
        int shift = 31 - Integer.numberOfLeadingZeros(n) - 4;
        long step = 1L << shift;
        return (int) Math.min(Integer.MAX_VALUE - 8, (n + step - 1) / step * step);
    }

    byte[] bytes(int n) {
        byte[] a = (byte[]) take(byte[].class, n);
        if (a == null) {
            return new byte[n];
        }
        Arrays.fill(a, (byte) 0);
        return a;
    }

    int[] ints(int n) {
        int[] a = (int[]) take(int[].class, n);
        if (a == null) {
            return new int[n];
        }
        Arrays.fill(a, 0);
        return a;
    }

    long[] longs(int n) {
        long[] a = (long[]) take(long[].class, n);
        if (a == null) {
            return new long[n];
        }
        Arrays.fill(a, 0L);
        return a;
    }

    /** The arrays of a table nobody reads any more, in place of those of the one before. */
    synchronized void giveTable(List<Object> arrays) {
        table.clear();
        table.addAll(arrays);
    }

    /** An array that belongs to no table (a cookie set after its dump); the oldest such is let go past the cap. */
    synchronized void giveLoose(Object array) {
        if (loose.size() == LOOSE) {
            loose.remove(0);
        }
        loose.add(array);
    }

    /**
     * Lets every array go: before a collection that does not use them (a tcp_info sample, its table beside the one
     * served), so that they do not add to the heap's peak.
     */
    public synchronized void clear() {
        table.clear();
        loose.clear();
    }

    /** How many arrays are kept now. */
    public synchronized int size() {
        return table.size() + loose.size();
    }

    private synchronized Object take(Class<?> type, int n) {
        Object a = take(table, type, n);
        return a != null ? a : take(loose, type, n);
    }

    private static Object take(List<Object> from, Class<?> type, int n) {
        for (int i = from.size() - 1; i >= 0; i--) {
            Object a = from.get(i);
            if (a.getClass() == type && java.lang.reflect.Array.getLength(a) == n) {
                from.remove(i);
                return a;
            }
        }
        return null;
    }
}
