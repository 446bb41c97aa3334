package io.connmon.exporter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The host's name, read without a DNS lookup. */
final class HostName {

    private HostName() {
    }

    static String get() {
        try {
            String name = new String(Files.readAllBytes(Path.of("/proc/sys/kernel/hostname")),
                    StandardCharsets.UTF_8).trim();
            if (!name.isEmpty()) {
                return name;
            }
        } catch (IOException | SecurityException e) {
            // fall through
        }
        String env = System.getenv("HOSTNAME");
        return env == null || env.isBlank() ? "localhost" : env;
    }
}
