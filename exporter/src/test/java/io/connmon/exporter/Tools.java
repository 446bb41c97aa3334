package io.connmon.exporter;

import org.junit.jupiter.api.Assumptions;

/** What a test does when a tool or kernel facility it needs is missing: skip it, except in CI, where it fails. */
final class Tools {

    private Tools() {
    }

    /** Whether this run is CI's ({@code CI=true}), where nothing may be skipped for want of a tool. */
    static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** Skips the test when {@code available} is false, or fails it under {@code CI=true}. */
    static void require(boolean available, String missing) {
        if (!available && inCi()) {
            throw new AssertionError(missing + " (CI=true: a missing tool fails the test instead of skipping it)");
        }
        Assumptions.assumeTrue(available, missing);
    }
}
