package io.connmon.exporter;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** connmon's version, from the build. */
public final class BuildInfo {

    private BuildInfo() {
    }

    /** The project version, such as {@code 0.1.0}; {@code unknown} outside a Maven build. */
    public static String version() {
        try (InputStream in = BuildInfo.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version");
                if (v != null && !v.startsWith("$")) {
                    return v;
                }
            }
        } catch (IOException e) {
            // fall through
        }
        return "unknown";
    }
}
