package io.connmon.parser.model;

import java.util.Arrays;

/**
 * An open-addressing map from {@code long} keys (socket inodes, never 0) to {@code int} values, without boxing:
 * a Java {@code HashMap<Long, ...>} would spend about 50 bytes a socket on a host with 100,000 of them.
 */
public final class LongIntMap {

    private long[] keys;
    private int[] values;
    private int size;

    /** A map sized for about {@code expected} keys; it grows as needed. */
    public LongIntMap(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[cap];
        values = new int[cap];
    }

    /** The number of keys. */
    public int size() {
        return size;
    }

    /** The value for {@code key}, or {@code missing}. */
    public int get(long key, int missing) {
        if (key == 0) {
            return missing; // 0 marks a free slot: it would match the first one
        }
        int mask = keys.length - 1;
        for (int i = mix(key) & mask; ; i = (i + 1) & mask) {
            long k = keys[i];
            if (k == key) {
                return values[i];
            }
            if (k == 0) {
                return missing;
            }
        }
    }

    /** Sets {@code key} (not 0) to {@code value} unless it is present already; returns whether it was added. */
    public boolean putIfAbsent(long key, int value) {
        int i = slot(key);
        if (keys[i] == key) {
            return false;
        }
        keys[i] = key;
        values[i] = value;
        size++;
        return true;
    }

    /** Adds one to the value of {@code key} (not 0), absent counting as 0; returns the new value. */
    public int increment(long key) {
        int i = slot(key);
        if (keys[i] != key) {
            keys[i] = key;
            values[i] = 0;
            size++;
        }
        return ++values[i];
    }

    /** The slot holding {@code key}, or the free slot where it goes (after growing if need be). */
    private int slot(long key) {
        if (key == 0) {
            throw new IllegalArgumentException("key 0 is reserved");
        }
        if ((size + 1) * 2 > keys.length) {
            grow();
        }
        int mask = keys.length - 1;
        for (int i = mix(key) & mask; ; i = (i + 1) & mask) {
            long k = keys[i];
            if (k == key || k == 0) {
                return i;
            }
        }
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new int[oldKeys.length * 2];
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != 0) {
                putIfAbsent(oldKeys[i], oldValues[i]);
            }
        }
    }

    /** Removes every key. */
    public void clear() {
        Arrays.fill(keys, 0);
        size = 0;
    }

    private static int mix(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }
}
