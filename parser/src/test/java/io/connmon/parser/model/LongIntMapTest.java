package io.connmon.parser.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LongIntMapTest {

    @Test
    void agreesWithHashMapOverOneHundredThousandRandomKeys() {
        Random random = new Random(20261124);
        LongIntMap map = new LongIntMap(4); // far too small: it must grow many times
        Map<Long, Integer> expected = new HashMap<>();
        for (int i = 0; i < 100_000; i++) {
            // Half the keys small (inodes are), half anywhere in the long range, negatives included.
            long key = i % 2 == 0 ? 1 + random.nextInt(200_000) : random.nextLong();
            if (key == 0) {
                continue;
            }
            boolean added = map.putIfAbsent(key, i);
            assertEquals(!expected.containsKey(key), added, () -> "key " + key);
            expected.putIfAbsent(key, i);
        }
        assertEquals(expected.size(), map.size());
        for (Map.Entry<Long, Integer> e : expected.entrySet()) {
            assertEquals(e.getValue(), map.get(e.getKey(), -1), () -> "key " + e.getKey());
        }
        int absent = 0;
        for (int i = 0; i < 10_000; i++) {
            long key = random.nextLong();
            if (key != 0 && !expected.containsKey(key)) {
                assertEquals(-7, map.get(key, -7));
                absent++;
            }
        }
        assertTrue(absent > 9_000);
    }

    @Test
    void putIfAbsentKeepsTheFirstValue() {
        LongIntMap map = new LongIntMap(16);
        assertTrue(map.putIfAbsent(1001, 0));
        assertFalse(map.putIfAbsent(1001, 5));
        assertEquals(0, map.get(1001, -1));
        assertEquals(1, map.size());
        assertTrue(map.putIfAbsent(-1001, 3));
        assertEquals(3, map.get(-1001, -1));
        assertEquals(0, map.get(1001, -1));
    }

    @Test
    void keysThatCollideInTheTableAreAllFound() {
        // 32 slots: keys a multiple of the capacity apart probe past each other.
        LongIntMap map = new LongIntMap(16);
        for (int i = 1; i <= 15; i++) {
            map.putIfAbsent(i * 32L, i);
        }
        for (int i = 1; i <= 15; i++) {
            assertEquals(i, map.get(i * 32L, -1));
        }
        assertEquals(-1, map.get(16 * 32L, -1));
    }

    @Test
    void keyZeroIsRefusedAndNeverFound() {
        LongIntMap map = new LongIntMap(16);
        assertThrows(IllegalArgumentException.class, () -> map.putIfAbsent(0, 1));
        assertEquals(-1, map.get(0, -1));
        map.putIfAbsent(5, 9);
        // An empty slot holds key 0 and value 0: get(0) must not read it as an entry.
        assertEquals(-1, map.get(0, -1));
        assertEquals(0, map.size() - 1);
    }

    @Test
    void clearForgetsEverythingAndTheMapIsReusable() {
        LongIntMap map = new LongIntMap(2);
        for (long k = 1; k <= 1000; k++) {
            map.putIfAbsent(k, (int) k);
        }
        map.clear();
        assertEquals(0, map.size());
        for (long k = 1; k <= 1000; k++) {
            assertEquals(-1, map.get(k, -1));
        }
        assertTrue(map.putIfAbsent(500, 1));
        assertEquals(1, map.get(500, -1));
        assertEquals(-1, map.get(0, -1));
    }
}
