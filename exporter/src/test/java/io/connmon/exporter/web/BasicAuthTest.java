package io.connmon.exporter.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** basic_auth_users checked with the real bcrypt, counted through the constructor's seam. */
class BasicAuthTest {

    private static final Map<String, String> USERS = Map.of("alice", Fixtures.ALICE, "bob", Fixtures.BOB);

    /** Every bcrypt the checker runs: (password, hash). */
    private final List<String[]> runs = new ArrayList<>();
    private final BasicAuth auth = new BasicAuth((password, hash) -> {
        runs.add(new String[] {password, hash});
        return BasicAuth.bcryptMatches(password, hash);
    });

    private static String basic(String userColonPassword) {
        return "Basic " + Base64.getEncoder().encodeToString(userColonPassword.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theRightPasswordPassesAndAWrongOneDoesNot() {
        assertTrue(auth.allows(USERS, basic("alice:correct horse")));
        assertFalse(auth.allows(USERS, basic("alice:correct horse ")));
        assertFalse(auth.allows(USERS, basic("alice:")));
        assertTrue(auth.allows(USERS, basic("bob:s3cret:with colon")), "the password may hold a colon");
        assertTrue(auth.allows(USERS, "basic " + basic("alice:correct horse").substring(6)), "scheme in any case");
    }

    @Test
    void malformedHeadersAreRefusedWithoutBcrypt() {
        assertFalse(auth.allows(USERS, null));
        assertFalse(auth.allows(USERS, "Bearer abc"));
        assertFalse(auth.allows(USERS, "Basic !!!not-base64"));
        assertFalse(auth.allows(USERS, basic("alice-without-colon")));
        assertEquals(0, runs.size());
    }

    @Test
    void anUnknownUserCostsABcryptOfTheSameCost() {
        assertFalse(auth.allows(USERS, basic("mallory:correct horse")));
        assertEquals(1, runs.size(), "a bcrypt runs, as for a known user with a wrong password");
        String dummy = runs.get(0)[1];
        assertTrue(WebConfig.BCRYPT.matcher(dummy).matches(), dummy);
        assertEquals("05", dummy.substring(4, 6), "the users' cost, so the time is the same");
        assertFalse(USERS.containsValue(dummy));
        // an unknown user never gets in, even with a password that matches the dummy hash
        assertFalse(auth.allows(USERS, basic("alice2:correct horse")));
    }

    @Test
    void theDummyHashIsValidForEveryCostAndMatchesNothingGuessable() {
        for (int cost = 4; cost <= 31; cost++) {
            String d = BasicAuth.dummy(cost);
            assertTrue(WebConfig.BCRYPT.matcher(d).matches(), d);
            assertEquals(String.format("%02d", cost), d.substring(4, 6));
        }
        assertFalse(BasicAuth.bcryptMatches("", BasicAuth.dummy(4)));
        assertFalse(BasicAuth.bcryptMatches("correct horse", BasicAuth.dummy(4)));
    }

    @Test
    void repeatedCredentialsAreCheckedOnce() {
        for (int i = 0; i < 5; i++) {
            assertTrue(auth.allows(USERS, basic("alice:correct horse")));
            assertFalse(auth.allows(USERS, basic("alice:wrong")));
            assertFalse(auth.allows(USERS, basic("mallory:x")));
        }
        assertEquals(3, runs.size(), "one bcrypt per distinct (user, hash, password)");
    }

    @Test
    void aNewHashInTheFileMissesTheCache() {
        assertTrue(auth.allows(USERS, basic("alice:correct horse")));
        Map<String, String> changed = Map.of("alice", Fixtures.BOB);
        assertFalse(auth.allows(changed, basic("alice:correct horse")), "the old password no longer works");
        assertTrue(auth.allows(changed, basic("alice:s3cret:with colon")));
        assertEquals(3, runs.size());
    }

    @Test
    void theCacheIsBounded() {
        for (int i = 0; i < BasicAuth.CACHE_SIZE + 10; i++) {
            auth.allows(USERS, basic("alice:guess" + i));
        }
        int before = runs.size();
        auth.allows(USERS, basic("alice:guess0")); // the oldest entry was dropped
        auth.allows(USERS, basic("alice:guess" + (BasicAuth.CACHE_SIZE + 9))); // the newest is kept
        assertEquals(before + 1, runs.size());
    }
}
