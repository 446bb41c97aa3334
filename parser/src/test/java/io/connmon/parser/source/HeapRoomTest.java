package io.connmon.parser.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HeapRoomTest {

    private static final long MIB = 1 << 20;

    @Test
    void roomWithoutAFullCollectionWhenPlentyIsFree() {
        AtomicInteger gcs = new AtomicInteger();
        HeapRoom room = new HeapRoom(() -> 200 * MIB, () -> 50 * MIB, gcs::incrementAndGet);
        assertTrue(room.has(100 * MIB)); // 50 + 100 + a tenth kept free (20) <= 200
        assertEquals(0, gcs.get());
    }

    @Test
    void nearTheCapAFullCollectionDecides() {
        AtomicLong used = new AtomicLong(150 * MIB);
        AtomicInteger gcs = new AtomicInteger();
        HeapRoom room = new HeapRoom(() -> 200 * MIB, used::get, () -> {
            gcs.incrementAndGet();
            used.set(60 * MIB); // garbage went away
        });
        assertTrue(room.has(100 * MIB));
        assertEquals(1, gcs.get());
        HeapRoom full = new HeapRoom(() -> 200 * MIB, () -> 150 * MIB, gcs::incrementAndGet);
        assertFalse(full.has(40 * MIB)); // 150 + 40 + 20 > 200, still after the collection
        assertEquals(2, gcs.get());
    }

    @Test
    void noKnownLimitIsAlwaysRoom() {
        assertTrue(new HeapRoom(() -> Long.MAX_VALUE, () -> Long.MAX_VALUE / 2, () -> { }).has(Long.MAX_VALUE / 4));
    }
}
