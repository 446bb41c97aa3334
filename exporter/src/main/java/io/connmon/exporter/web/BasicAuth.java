package io.connmon.exporter.web;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiPredicate;
import org.springframework.security.crypto.bcrypt.BCrypt;

/**
 * Checks an {@code Authorization: Basic} header against {@code basic_auth_users}, as exporter-toolkit does: an
 * unknown user is checked against a dummy hash of the same cost (so it takes as long as a wrong password), and
 * results are cached so that a scraper sending the same credentials every second costs one bcrypt, not one per
 * request. The cache key is a SHA-256 of user, stored hash and password: no password is kept, and a changed hash
 * (a new password in the file) misses the cache.
 */
final class BasicAuth {

    /** Most cached results; the least recently used goes first. */
    static final int CACHE_SIZE = 256;

    private final BiPredicate<String, String> bcrypt;
    private final Map<String, Boolean> cache = new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > CACHE_SIZE;
        }
    };
    /** One bcrypt at a time, as exporter-toolkit: a flood of wrong passwords costs one core, not all. */
    private final Object bcryptLock = new Object();

    BasicAuth() {
        this(BasicAuth::bcryptMatches);
    }

    /** @param bcrypt (password, hash) to whether they match; a seam for tests that count the calls */
    BasicAuth(BiPredicate<String, String> bcrypt) {
        this.bcrypt = bcrypt;
    }

    static boolean bcryptMatches(String password, String hash) {
        try {
            return BCrypt.checkpw(password, hash);
        } catch (IllegalArgumentException e) {
            return false; // e.g. a password longer than bcrypt's 72 bytes
        }
    }

    /**
     * Whether the header names a configured user with the right password.
     *
     * @param users         user to bcrypt hash, not empty
     * @param authorization the Authorization header, or null
     */
    boolean allows(Map<String, String> users, String authorization) {
        if (authorization == null || authorization.length() < 6
                || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return false;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(authorization.substring(6).strip()),
                    StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return false;
        }
        int colon = decoded.indexOf(':');
        if (colon < 0) {
            return false;
        }
        String user = decoded.substring(0, colon);
        String password = decoded.substring(colon + 1);
        String hash = users.get(user);
        boolean known = hash != null;
        if (!known) {
            hash = dummy(typicalCost(users));
        }
        String key = cacheKey(user, hash, password);
        Boolean cached;
        synchronized (cache) {
            cached = cache.get(key);
        }
        if (cached == null) {
            boolean ok;
            synchronized (bcryptLock) {
                ok = bcrypt.test(password, hash);
            }
            cached = known && ok;
            synchronized (cache) {
                cache.put(key, cached);
            }
        }
        return known && cached;
    }

    /** The cost most users' hashes have, so that an unknown user costs what a known one does. */
    private static int typicalCost(Map<String, String> users) {
        Map<Integer, Integer> counts = new HashMap<>();
        int best = 10;
        int bestCount = 0;
        for (String h : users.values()) {
            int cost = Integer.parseInt(h.substring(4, 6));
            int c = counts.merge(cost, 1, Integer::sum);
            if (c > bestCount) {
                best = cost;
                bestCount = c;
            }
        }
        return best;
    }

    /**
     * A bcrypt hash of a random password nobody knows (htpasswd -nbBC 4 with 24 random bytes), its cost replaced:
     * checking against it costs exactly what checking a real hash of that cost does, without making one first.
     */
    private static final String DUMMY = "$2y$04$2hZNotleg8uBjJhAj86fyOZNELzDINi.MgO560bg5QsS90xyRxwle";

    static String dummy(int cost) {
        return DUMMY.substring(0, 4) + String.format("%02d", cost) + DUMMY.substring(6);
    }

    private static String cacheKey(String user, String hash, String password) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            for (String s : new String[] {user, hash, password}) {
                byte[] b = s.getBytes(StandardCharsets.UTF_8);
                d.update(new byte[] {(byte) (b.length >>> 24), (byte) (b.length >>> 16), (byte) (b.length >>> 8),
                    (byte) b.length});
                d.update(b);
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
