package io.connmon.agent;

/**
 * SIGHUP: the JVM's default is to exit (code 129), so a reload by habit ({@code kill -HUP}, {@code systemctl
 * reload}) would stop the daemon. connmon reads its settings once at start; it ignores SIGHUP and says so.
 */
final class Hangup {

    private Hangup() {
    }

    /**
     * Replaces the JVM's SIGHUP handling with {@code action}. Returns false where the signal cannot be handled
     * (a JVM started with {@code -Xrs}, a platform without SIGHUP).
     */
    static boolean ignore(Runnable action) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal -> action.run());
            return true;
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            return false;
        }
    }
}
