package io.connmon.exporter;

import io.connmon.parser.counters.NetStatReader;
import io.connmon.parser.source.SourceKind;
import io.connmon.parser.source.netns.NamespacesSocketSource;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Prints the /snapshot document of every network namespace (reader chosen as --netns all chooses it) on stdout:
 * what {@link NetnsLiveTest} runs in a JVM of its own without capabilities.
 */
final class NetnsSnapshotMain {

    private NetnsSnapshotMain() {
    }

    public static void main(String[] args) throws Exception {
        try (NamespacesSocketSource source = new NamespacesSocketSource(Path.of("/proc"), Path.of("/var/run/netns"),
                SourceKind.AUTO)) {
            Snapshot s = new SnapshotService(source, new NetStatReader(Path.of("/proc")), Duration.ZERO).current();
            SnapshotJson.write(s, SocketQuery.ALL, System.out, false);
            System.out.flush();
        }
    }
}
