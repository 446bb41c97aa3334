package io.connmon.exporter.web;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The web configuration file, read again whenever it or a file it names (certificate, key, client CA) changes,
 * as exporter-toolkit reads it on each request. Checking costs reading those few small files; parsing happens
 * only when a byte changed. A file that turns bad keeps the last good configuration in force and is reported
 * once (one line, naming the file and the problem), until it changes again.
 */
final class ReloadingWebConfig {

    private final Path file;
    private final BiConsumer<System.Logger.Level, String> log;
    private WebConfig current;
    private Map<Path, byte[]> currentInputs;
    private Map<Path, byte[]> badInputs;
    private long generation;

    /**
     * Loads the file once; a problem here is the caller's to report (the daemon does not start).
     *
     * @param log where the one line about a bad or a changed file goes
     */
    ReloadingWebConfig(Path file, BiConsumer<System.Logger.Level, String> log) throws WebConfigException {
        this.file = file;
        this.log = log;
        WebConfig.Reads reads = new WebConfig.Reads();
        this.current = WebConfig.load(file, reads);
        this.currentInputs = reads.files;
    }

    Path file() {
        return file;
    }

    /** The configuration in force and how many times it has changed (0 after the first load), read together. */
    record Version(WebConfig config, long generation) {
    }

    synchronized Version version() {
        WebConfig c = current();
        return new Version(c, generation);
    }

    /** The configuration in force, after looking whether the files changed. */
    synchronized WebConfig current() {
        if (unchanged(currentInputs) || (badInputs != null && unchanged(badInputs))) {
            return current;
        }
        WebConfig.Reads reads = new WebConfig.Reads();
        try {
            WebConfig next = WebConfig.load(file, reads);
            if ((next.tls() == null) != (current.tls() == null)) {
                throw new WebConfigException("web config " + file + ": tls_server_config cannot be switched "
                        + (next.tls() == null ? "off" : "on") + " without a restart");
            }
            current = next;
            currentInputs = reads.files;
            badInputs = null;
            generation++;
            log.accept(System.Logger.Level.INFO, "web config " + file + " reloaded");
        } catch (WebConfigException e) {
            badInputs = reads.files;
            log.accept(System.Logger.Level.WARNING, e.getMessage() + "; keeping the previous configuration");
        }
        return current;
    }

    private static boolean unchanged(Map<Path, byte[]> inputs) {
        for (Map.Entry<Path, byte[]> e : inputs.entrySet()) {
            byte[] now;
            try {
                now = Files.readAllBytes(e.getKey());
            } catch (IOException ex) {
                now = null;
            }
            if (!Arrays.equals(now, e.getValue())) {
                return false;
            }
        }
        return true;
    }
}
