package io.outpost.cache.objects;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class HotJsonTest {

    @Test
    void givenAFullMemoryTier_whenMoreIsPut_thenTheLeastRecentlyUsedEntriesGoFirst() {
        HotJson hot = new HotJson(800);
        hot.put("a", new byte[100]);
        hot.put("b", new byte[100]);
        hot.put("c", new byte[100]);
        hot.get("a"); // a is now more recent than b

        for (int i = 0; i < 6; i++) { // 900 bytes in all: one entry must go
            hot.put("x" + i, new byte[100]);
        }

        assertNull(hot.get("b"));
        assertNotNull(hot.get("a"));
        assertNotNull(hot.get("c"));
        assertEquals(800, hot.bytes());
    }

    @Test
    void givenAnEntryLargerThanAnEighthOfTheTier_whenPut_thenItIsNotKeptAndAnOlderVersionIsDropped() {
        HotJson hot = new HotJson(800);
        hot.put("secret", new byte[50]);

        hot.put("secret", new byte[101]);

        assertNull(hot.get("secret"));
        assertEquals(0, hot.bytes());
    }

    @Test
    void givenATierOfZeroBytes_whenPut_thenNothingIsKept() {
        HotJson hot = new HotJson(0);

        hot.put("a", new byte[1]);

        assertNull(hot.get("a"));
    }
}
